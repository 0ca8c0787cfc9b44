using System.Net;
using System.Text.Json;
using static Sightline.Server.Tests.Http;

namespace Sightline.Server.Tests.Api;

/// <summary>The recordings API's answers that need no camera: body checks, unknown ids, sessions without participants.</summary>
public sealed class RecordingApiTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sightline-rec-api-");
    private RunningServer _server = null!;
    private HttpClient C => _server.Client;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync(new Dictionary<string, string?>
    {
        ["OPENVIDU_RECORDING"] = "true",
        ["OPENVIDU_RECORDING_PATH"] = _dir.FullName,
    });

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Delete(true);
    }

    [Fact]
    public async Task Start_ChecksItsBody_AsOpenVidu()
    {
        var id = await CreateSessionAsync(C);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(C, "/openvidu/api/recordings/start", "")).Status);
        var (status, json, _) = await PostAsync(C, "/openvidu/api/recordings/start", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("\"session\" parameter is mandatory", json!.Value.GetProperty("message").GetString());
        (status, json, _) = await PostAsync(C, "/openvidu/api/recordings/start", "{\"session\":5}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("Type error in some parameter", json!.Value.GetProperty("message").GetString());
        (status, json, _) = await PostAsync(C, "/openvidu/api/recordings/start", $"{{\"session\":\"{id}\",\"outputMode\":\"SIDEWAYS\"}}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("No enum constant io.openvidu.java.client.Recording.OutputMode.SIDEWAYS", json!.Value.GetProperty("message").GetString());
        (status, json, _) = await PostAsync(C, "/openvidu/api/recordings/start", $"{{\"session\":\"{id}\",\"frameRate\":500}}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("frameRate", json!.Value.GetProperty("message").GetString());
        (status, _, _) = await PostAsync(C, "/openvidu/api/recordings/start", $"{{\"session\":\"{id}\",\"hasAudio\":false,\"hasVideo\":false}}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        // A real session, but nobody in it yet; and a session that does not exist.
        Assert.Equal(HttpStatusCode.NotAcceptable, (await PostAsync(C, "/openvidu/api/recordings/start", $"{{\"session\":\"{id}\"}}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(C, "/openvidu/api/recordings/start", "{\"session\":\"ses_none\"}")).Status);
        // Nothing was made on disk by any of these.
        Assert.Empty(_dir.EnumerateFileSystemInfos());
    }

    [Fact]
    public async Task UnknownRecordings_Answer404_AndTheListIsEmpty()
    {
        var (status, json, _) = await GetAsync(C, "/openvidu/api/recordings");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, json!.Value.GetProperty("count").GetInt32());
        Assert.Equal(JsonValueKind.Array, json!.Value.GetProperty("items").ValueKind);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(C, "/openvidu/api/recordings/nope")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(C, "/openvidu/api/recordings/stop/nope", "")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await C.DeleteAsync("/openvidu/api/recordings/nope")).StatusCode);
    }

    [Fact]
    public async Task RecordedFiles_NeedBasicAuth_AndNeverLeaveTheirFolder()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await _server.Anonymous.GetAsync("/openvidu/recordings/x/x.mp4")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await C.GetAsync("/openvidu/recordings/x/x.mp4")).StatusCode);
        File.WriteAllText(Path.Combine(_dir.FullName, "secret.txt"), "not a recording");
        Assert.Equal(HttpStatusCode.NotFound, (await C.GetAsync("/openvidu/recordings/x/..%2Fsecret.txt")).StatusCode);
    }
}
