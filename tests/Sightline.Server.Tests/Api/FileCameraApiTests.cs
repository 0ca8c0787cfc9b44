using System.Net;
using static Sightline.Server.Tests.Http;

namespace Sightline.Server.Tests.Api;

/// <summary>
/// <c>file://</c> cameras (a deviation from OpenVidu, which plays any path): refused with 400 until
/// <c>SIGHTLINE_CAMERA_FILES_DIR</c> names a folder, then accepted only below it.
/// </summary>
public sealed class FileCameraApiTests : IAsyncLifetime
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sightline-filecams-");
    private string _cameras = null!;

    public Task InitializeAsync()
    {
        _cameras = Directory.CreateDirectory(Path.Combine(_root.FullName, "cameras")).FullName;
        File.WriteAllText(Path.Combine(_cameras, "door.mp4"), "x");
        File.WriteAllText(Path.Combine(_root.FullName, "secret.mp4"), "x");
        File.CreateSymbolicLink(Path.Combine(_cameras, "escape.mp4"), Path.Combine(_root.FullName, "secret.mp4"));
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _root.Delete(true);
        return Task.CompletedTask;
    }

    private static async Task<(HttpStatusCode Status, string Message)> AddAsync(RunningServer server, string uri)
    {
        var id = await CreateSessionAsync(server.Client);
        var (status, json, text) = await PostAsync(server.Client, $"/openvidu/api/sessions/{id}/connection", $"{{\"type\":\"IPCAM\",\"rtspUri\":\"{uri}\"}}");
        return (status, status == HttpStatusCode.OK ? text : json!.Value.GetProperty("message").GetString()!);
    }

    [Fact]
    public async Task Without_the_folder_setting_a_file_camera_is_a_400_that_names_it()
    {
        await using var server = await RunningServer.StartAsync();
        var (status, message) = await AddAsync(server, "file://" + _cameras + "/door.mp4");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("Error in parameter 'rtspUri': file:// cameras are off", message);
        Assert.Contains("SIGHTLINE_CAMERA_FILES_DIR", message);
    }

    [Fact]
    public async Task With_the_folder_a_file_below_it_is_published_and_one_outside_it_is_a_400()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["SIGHTLINE_CAMERA_FILES_DIR"] = _cameras });
        var (ok, text) = await AddAsync(server, "file://" + _cameras + "/door.mp4");
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Contains("\"type\":\"IPCAM\"", text);
        Assert.Contains("\"ip\":\"127.0.0.1\"", text); // no host: the loopback address, as OpenVidu shows it

        foreach (var outside in new[] { "file://" + _cameras + "/../secret.mp4", "file://" + _cameras + "/escape.mp4", "file:///etc/passwd" })
        {
            var (status, message) = await AddAsync(server, outside);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains("outside the folder", message);
            Assert.DoesNotContain(_root.FullName, message); // the server's layout is not echoed
        }
    }

    [Fact]
    public async Task A_folder_that_does_not_exist_stops_the_server_at_start_naming_the_variable()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => RunningServer.StartAsync(new Dictionary<string, string?> { ["SIGHTLINE_CAMERA_FILES_DIR"] = Path.Combine(_root.FullName, "nowhere") }));
        Assert.Contains("SIGHTLINE_CAMERA_FILES_DIR must be an existing folder", e.Message);
    }
}
