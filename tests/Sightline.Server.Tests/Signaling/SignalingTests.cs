using System.Net;
using System.Text.Json.Nodes;
using static Sightline.Server.Tests.Http;

namespace Sightline.Server.Tests.Signaling;

public sealed class SignalingTests
{
    private static async Task<string> TokenAsync(HttpClient c, string sessionId, string body = "{}") =>
        (await PostAsync(c, $"/openvidu/api/sessions/{sessionId}/connection", body)).Json!.Value.GetProperty("token").GetString()!;

    private static JsonObject JoinParams(string token, string sessionId, string metadata = "{\"clientData\":\"viewer\"}") => new()
    {
        ["token"] = token, ["session"] = sessionId, ["platform"] = "Chrome 156.0.0.0 on Linux 64-bit", ["sdkVersion"] = "2.32.2",
        ["metadata"] = metadata, ["secret"] = "", ["recorder"] = false, ["stt"] = false,
    };

    [Fact]
    public async Task JoinRoom_AsOpenViduBrowserNeedsIt_AndTokenRules()
    {
        await using var server = await RunningServer.StartAsync();
        var sid = await CreateSessionAsync(server.Client);
        var cam = await AddCameraAsync(server.Client, sid, "rtsp://127.0.0.1:9/cam", ",\"data\":\"front\"");
        var token = await TokenAsync(server.Client, sid, "{\"role\":\"MODERATOR\",\"data\":\"srv\"}");
        await using var rpc = await RpcClient.ConnectAsync(server.BaseUrl, sid);

        var early = await rpc.CallAsync("receiveVideoFrom", new JsonObject { ["sender"] = "x", ["sdpOffer"] = "v=0" });
        Assert.Equal(803, early["error"]!["code"]!.GetValue<int>());
        Assert.Equal("pong", (await rpc.CallAsync("ping", new JsonObject { ["interval"] = 5000 }))["result"]!["value"]!.ToString());

        var joined = (JsonObject)(await rpc.CallAsync("joinRoom", JoinParams(token, sid)))["result"]!;
        Assert.StartsWith("con_", joined["id"]!.ToString());
        Assert.Equal(sid, joined["session"]!.ToString());
        Assert.Equal("2.32.2", joined["version"]!.ToString());
        Assert.Equal("kurento", joined["mediaServer"]!.ToString());
        Assert.Equal("MODERATOR", joined["role"]!.ToString());
        Assert.Equal("{\"clientData\":\"viewer\"}%/%srv", joined["metadata"]!.ToString());
        Assert.NotNull(joined["sessionId"]);
        var camera = Assert.Single(joined["value"]!.AsArray())!.AsObject();
        Assert.Equal(cam.GetProperty("id").GetString(), camera["id"]!.ToString());
        Assert.Equal("front", camera["metadata"]!.ToString());
        var stream = camera["streams"]![0]!.AsObject();
        Assert.Equal("IPCAM", stream["typeOfVideo"]!.ToString());
        Assert.True(stream["videoActive"]!.GetValue<bool>());
        Assert.Null(stream["frameRate"]);

        // The connection is active in the REST API, with the browser's platform and metadata.
        var rest = (await GetAsync(server.Client, $"/openvidu/api/sessions/{sid}/connection/{joined["id"]}")).Json!.Value;
        Assert.Equal("active", rest.GetProperty("status").GetString());
        Assert.Equal("Chrome 156.0.0.0 on Linux 64-bit", rest.GetProperty("platform").GetString());

        await using var second = await RpcClient.ConnectAsync(server.BaseUrl, sid);
        var reused = await second.CallAsync("joinRoom", JoinParams(token, sid));
        Assert.Equal(401, reused["error"]!["code"]!.GetValue<int>());
        var wrongSession = await second.CallAsync("joinRoom", JoinParams(token, "ses_nope"));
        Assert.Equal(202, wrongSession["error"]!["code"]!.GetValue<int>());
        var missing = await second.CallAsync("joinRoom", new JsonObject { ["session"] = sid });
        Assert.Equal(-1, missing["error"]!["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task Notifications_FollowTheSessionStory()
    {
        await using var server = await RunningServer.StartAsync();
        var sid = await CreateSessionAsync(server.Client);
        await using var a = await RpcClient.ConnectAsync(server.BaseUrl, sid);
        var aId = (await a.CallAsync("joinRoom", JoinParams(await TokenAsync(server.Client, sid), sid)))["result"]!["id"]!.ToString();
        await using var b = await RpcClient.ConnectAsync(server.BaseUrl, sid);
        var bId = (await b.CallAsync("joinRoom", JoinParams(await TokenAsync(server.Client, sid), sid, "bob")))["result"]!["id"]!.ToString();
        var joined = await a.WaitForNotificationAsync("participantJoined", p => p["id"]!.ToString() == bId);
        Assert.Equal("bob", joined["metadata"]!.ToString());

        var cam = await AddCameraAsync(server.Client, sid, "rtsp://127.0.0.1:9/cam2");
        var camId = cam.GetProperty("id").GetString()!;
        await a.WaitForNotificationAsync("participantJoined", p => p["id"]!.ToString() == camId);
        var published = await b.WaitForNotificationAsync("participantPublished", p => p["id"]!.ToString() == camId);
        Assert.Equal("IPCAM", published["streams"]![0]!["typeOfVideo"]!.ToString());

        await PostAsync(server.Client, "/openvidu/api/signal", $"{{\"session\":\"{sid}\",\"to\":[\"{bId}\"],\"type\":\"chat\",\"data\":\"hi\"}}");
        var signal = await b.WaitForNotificationAsync("sendMessage");
        Assert.Equal("hi", signal["data"]!.ToString());
        Assert.Null(signal["from"]);
        var fromA = await a.CallAsync("sendMessage", new JsonObject { ["message"] = "{\"to\":[],\"data\":\"all\",\"type\":\"signal:x\"}" });
        Assert.NotNull(fromA["result"]);
        Assert.Equal(aId, (await b.WaitForNotificationAsync("sendMessage", p => p["data"]!.ToString() == "all"))["from"]!.ToString());

        await DeleteAsync(server.Client, $"/openvidu/api/sessions/{sid}/connection/{camId}");
        var left = await a.WaitForNotificationAsync("participantLeft", p => p["connectionId"]!.ToString() == camId);
        Assert.Equal("forceDisconnectByServer", left["reason"]!.ToString());
        await a.WaitForNotificationAsync("participantEvicted", p => p["connectionId"]!.ToString() == camId);

        Assert.NotNull((await b.CallAsync("leaveRoom"))["result"]);
        Assert.Equal("disconnect", (await a.WaitForNotificationAsync("participantLeft", p => p["connectionId"]!.ToString() == bId))["reason"]!.ToString());
    }

    [Fact]
    public async Task SilentClient_IsClosedAfterThreePingIntervals_AsKurentosWatchdog()
    {
        await using var server = await RunningServer.StartAsync();
        var sid = await CreateSessionAsync(server.Client);
        await using var rpc = await RpcClient.ConnectAsync(server.BaseUrl, sid);
        await rpc.CallAsync("ping", new JsonObject { ["interval"] = 500 });
        await rpc.CallAsync("joinRoom", JoinParams(await TokenAsync(server.Client, sid), sid));
        var started = DateTime.UtcNow;
        await rpc.Closed.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.InRange((DateTime.UtcNow - started).TotalSeconds, 1.0, 4.0);
    }

    [Fact]
    public async Task DroppedSocket_ReconnectsWithConnect_OrLeavesWithNetworkDisconnectAfterTheGrace()
    {
        await using var server = await RunningServer.StartAsync();
        var sid = await CreateSessionAsync(server.Client);
        await AddCameraAsync(server.Client, sid, "rtsp://127.0.0.1:9/keep");
        var stays = await RpcClient.ConnectAsync(server.BaseUrl, sid);
        var staysJoin = (JsonObject)(await stays.CallAsync("joinRoom", JoinParams(await TokenAsync(server.Client, sid), sid)))["result"]!;
        var goes = await RpcClient.ConnectAsync(server.BaseUrl, sid);
        var goesId = (await goes.CallAsync("joinRoom", JoinParams(await TokenAsync(server.Client, sid), sid)))["result"]!["id"]!.ToString();

        stays.Abort();
        goes.Abort();
        await using var back = await RpcClient.ConnectAsync(server.BaseUrl, sid);
        var reconnected = await back.CallAsync("connect", new JsonObject { ["sessionId"] = staysJoin["sessionId"]!.ToString(), ["reconnect"] = true });
        Assert.Equal("reconnection successful", reconnected["result"]!["value"]!.ToString());
        var unknown = await back.CallAsync("connect", new JsonObject { ["sessionId"] = "nope", ["reconnect"] = true });
        Assert.Equal(40007, unknown["error"]!["code"]!.GetValue<int>());

        await Task.Delay(TimeSpan.FromSeconds(11));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(server.Client, $"/openvidu/api/sessions/{sid}/connection/{staysJoin["id"]}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(server.Client, $"/openvidu/api/sessions/{sid}/connection/{goesId}")).Status);
        // The reconnected socket still works as the same participant.
        Assert.NotNull((await back.CallAsync("leaveRoom"))["result"]);
        await stays.DisposeAsync();
        await goes.DisposeAsync();
    }
}
