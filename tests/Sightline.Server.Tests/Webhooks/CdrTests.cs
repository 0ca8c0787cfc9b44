using System.Text.Json;
using static Sightline.Server.Tests.Http;

namespace Sightline.Server.Tests.Webhooks;

public sealed class CdrTests
{
    [Fact]
    public async Task Cdr_WritesOneLinePerEvent_NamedByItsEvent()
    {
        var dir = Directory.CreateTempSubdirectory("sightline-cdr-");
        try
        {
            var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["OPENVIDU_CDR"] = "true", ["OPENVIDU_CDR_PATH"] = dir.FullName });
            var sid = await CreateSessionAsync(server.Client);
            var cam = await AddCameraAsync(server.Client, sid, "rtsp://127.0.0.1:9/cdr", ",\"data\":\"door\"");
            await DeleteAsync(server.Client, $"/openvidu/api/sessions/{sid}/connection/{cam.GetProperty("id").GetString()}");
            await server.DisposeAsync(); // flushes the CDR
            var lines = await File.ReadAllLinesAsync(Path.Combine(dir.FullName, "cdr.log"));
            var names = lines.Select(l => JsonDocument.Parse(l).RootElement.EnumerateObject().Single().Name).ToList();
            Assert.Equal(["sessionCreated", "participantJoined", "webrtcConnectionCreated", "webrtcConnectionDestroyed", "participantLeft", "sessionDestroyed"], names);
            var joined = JsonDocument.Parse(lines[1]).RootElement.GetProperty("participantJoined");
            Assert.Equal("door", joined.GetProperty("serverData").GetString());
            Assert.False(joined.TryGetProperty("event", out _));
            Assert.Equal(sid, joined.GetProperty("sessionId").GetString());
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
