using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Sightline.Server.Webhooks;
using static Sightline.Server.Tests.Http;

namespace Sightline.Server.Tests.Webhooks;

public sealed class WebhookTests
{
    private static Dictionary<string, string?> WebhookSettings(string url, string? events = null, string? extra = null) => new()
    {
        ["OPENVIDU_WEBHOOK"] = "true",
        ["OPENVIDU_WEBHOOK_ENDPOINT"] = url,
        ["OPENVIDU_WEBHOOK_HEADERS"] = "[\"Authorization: Basic dXNlcjpwYXNz\"]",
        ["OPENVIDU_WEBHOOK_EVENTS"] = events,
        ["SIGHTLINE_WEBHOOK_MAX_BACKOFF_MS"] = "1000",
        ["SIGHTLINE_WEBHOOK_QUEUE"] = extra,
    };

    [Fact]
    public async Task CameraLifecycle_PostsOpenViduBodies_InOrder_WithConfiguredHeaders()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await RunningServer.StartAsync(WebhookSettings(receiver.Url));
        var c = server.Client;

        var sid = await CreateSessionAsync(c);
        var cam = await AddCameraAsync(c, sid, "rtsp://10.0.0.7:554/live/ch-1", ",\"data\":\"cam-A\",\"adaptativeBitrate\":false,\"networkCache\":300");
        var camId = cam.GetProperty("id").GetString()!;
        var streamId = cam.GetProperty("publishers")[0].GetProperty("streamId").GetString()!;
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync(c, $"/openvidu/api/sessions/{sid}/connection/{camId}")).Status);

        var events = await receiver.WaitForCountAsync(6, TimeSpan.FromSeconds(10));
        Assert.Equal(["sessionCreated", "participantJoined", "webrtcConnectionCreated", "webrtcConnectionDestroyed", "participantLeft", "sessionDestroyed"], receiver.Names);
        Assert.All(receiver.AuthorizationHeaders, h => Assert.Equal("Basic dXNlcjpwYXNz", h));

        var created = events[0];
        Assert.Equal(["sessionId", "uniqueSessionId", "timestamp", "event"], Keys(created));
        var unique = created.GetProperty("uniqueSessionId").GetString();
        Assert.Equal($"{sid}_{created.GetProperty("timestamp").GetInt64()}", unique);

        var joined = events[1];
        Assert.Equal(["sessionId", "uniqueSessionId", "timestamp", "participantId", "connectionId", "location", "ip", "platform", "clientData", "serverData", "event"], Keys(joined));
        Assert.Equal(camId, joined.GetProperty("participantId").GetString());
        Assert.Equal("IPCAM", joined.GetProperty("platform").GetString());
        Assert.Equal("cam-A", joined.GetProperty("serverData").GetString());
        Assert.Equal("10.0.0.7", joined.GetProperty("ip").GetString());
        Assert.Equal(JsonValueKind.Null, joined.GetProperty("clientData").ValueKind);

        var outbound = events[2];
        Assert.Equal(
            ["sessionId", "uniqueSessionId", "timestamp", "streamId", "participantId", "connectionId", "connection", "rtspUri", "adaptativeBitrate", "networkCache",
             "onlyPlayWithSubscribers", "videoSource", "videoFramerate", "videoDimensions", "audioEnabled", "videoEnabled", "event"],
            Keys(outbound));
        Assert.Equal(streamId, outbound.GetProperty("streamId").GetString());
        Assert.Equal("OUTBOUND", outbound.GetProperty("connection").GetString());
        Assert.Equal("rtsp://10.0.0.7:554/live/ch-1", outbound.GetProperty("rtspUri").GetString());
        Assert.False(outbound.GetProperty("adaptativeBitrate").GetBoolean());
        Assert.Equal(300, outbound.GetProperty("networkCache").GetInt32());
        Assert.True(outbound.GetProperty("onlyPlayWithSubscribers").GetBoolean());
        Assert.Equal("IPCAM", outbound.GetProperty("videoSource").GetString());

        var destroyed = events[3];
        Assert.Equal("forceDisconnectByServer", destroyed.GetProperty("reason").GetString());
        Assert.Equal(outbound.GetProperty("timestamp").GetInt64(), destroyed.GetProperty("startTime").GetInt64());
        Assert.Equal(["sessionId", "uniqueSessionId", "timestamp", "startTime", "duration", "reason"], Keys(destroyed)[..6]);

        var left = events[4];
        Assert.Equal("forceDisconnectByServer", left.GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, left.GetProperty("clientData").ValueKind);
        Assert.Equal("lastParticipantLeft", events[5].GetProperty("reason").GetString());
        Assert.Equal(unique, events[5].GetProperty("uniqueSessionId").GetString());
        Assert.Equal("sessionDestroyed", events[5].EnumerateObject().Last().Value.GetString());
    }

    [Fact]
    public async Task OnlyConfiguredEvents_ArePosted()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await RunningServer.StartAsync(WebhookSettings(receiver.Url, "[\"sessionDestroyed\",\"signalSent\"]"));
        var sid = await CreateSessionAsync(server.Client);
        var cam = await AddCameraAsync(server.Client, sid);
        await PostAsync(server.Client, "/openvidu/api/signal", $"{{\"session\":\"{sid}\",\"type\":\"t\",\"data\":\"d\"}}");
        await DeleteAsync(server.Client, $"/openvidu/api/sessions/{sid}");
        var events = await receiver.WaitForCountAsync(2, TimeSpan.FromSeconds(10));
        Assert.Equal(["signalSent", "sessionDestroyed"], receiver.Names);
        var signal = events[0];
        Assert.Equal(["sessionId", "uniqueSessionId", "timestamp", "from", "to", "type", "data", "event"], Keys(signal));
        Assert.Equal(JsonValueKind.Null, signal.GetProperty("from").ValueKind);
        Assert.Equal(cam.GetProperty("id").GetString(), signal.GetProperty("to")[0].GetString());
        Assert.Equal("sessionClosedByServer", events[1].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task EndpointRefusingConnectionsFor10s_ThenRecovering_GetsEveryEventInOrder()
    {
        var port = WebhookReceiver.FreePort();
        await using var server = await RunningServer.StartAsync(WebhookSettings($"http://127.0.0.1:{port}/webhook"));
        var c = server.Client;
        var stopwatch = Stopwatch.StartNew();

        // 3 sessions × (created, joined, webrtc created, signal) + one camera removed (destroyed, left) + one session closed.
        var expected = new List<string>();
        var sessions = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var sid = await CreateSessionAsync(c);
            sessions.Add(sid);
            await AddCameraAsync(c, sid, $"rtsp://127.0.0.1:8554/cam{i}");
            await PostAsync(c, "/openvidu/api/signal", $"{{\"session\":\"{sid}\",\"type\":\"n\",\"data\":\"{i}\"}}");
            expected.AddRange(["sessionCreated", "participantJoined", "webrtcConnectionCreated", "signalSent"]);
        }
        await DeleteAsync(c, $"/openvidu/api/sessions/{sessions[0]}");
        expected.AddRange(["webrtcConnectionDestroyed", "participantLeft", "sessionDestroyed"]);

        // The API never waited on the dead endpoint.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"API calls took {stopwatch.Elapsed}");
        var dispatcher = server.Service<WebhookDispatcher>();
        await Task.Delay(TimeSpan.FromSeconds(10) - stopwatch.Elapsed);
        Assert.True(dispatcher.FailedAttempts >= 3, $"only {dispatcher.FailedAttempts} failed attempts while the endpoint was down");
        Assert.Equal(0, dispatcher.Delivered);

        await using var receiver = await WebhookReceiver.StartAsync(port);
        await receiver.WaitForCountAsync(expected.Count, TimeSpan.FromSeconds(15));
        Assert.Equal(expected, receiver.Names);
        var signals = receiver.Events.Where(e => e.GetProperty("event").GetString() == "signalSent").Select(e => e.GetProperty("data").GetString());
        Assert.Equal(["0", "1", "2"], signals);
        Assert.Equal(0, dispatcher.Dropped);
    }

    [Fact]
    public async Task FullQueue_DropsAndCountsNewEvents_WithoutBlockingTheApi()
    {
        var port = WebhookReceiver.FreePort();
        await using var server = await RunningServer.StartAsync(WebhookSettings($"http://127.0.0.1:{port}/webhook", extra: "3"));
        for (var i = 0; i < 5; i++)
        {
            await CreateSessionAsync(server.Client);
        }
        var dispatcher = server.Service<WebhookDispatcher>();
        // One event is in flight (taken from the queue), three wait, the last one does not fit.
        Assert.InRange(dispatcher.Dropped, 1, 2);
        await using var receiver = await WebhookReceiver.StartAsync(port);
        await receiver.WaitForCountAsync(5 - (int)dispatcher.Dropped, TimeSpan.FromSeconds(10));
        Assert.All(receiver.Names, n => Assert.Equal("sessionCreated", n));
    }

    [Fact]
    public async Task Shutdown_ClosesSessions_AndFlushesTheirEvents()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var server = await RunningServer.StartAsync(WebhookSettings(receiver.Url));
        var sid = await CreateSessionAsync(server.Client);
        await AddCameraAsync(server.Client, sid);
        await server.StopAsync();
        await server.DisposeAsync();
        Assert.Equal(["sessionCreated", "participantJoined", "webrtcConnectionCreated", "webrtcConnectionDestroyed", "participantLeft", "sessionDestroyed"], receiver.Names);
        Assert.All(receiver.Events.Skip(3), e => Assert.Equal("openviduServerStopped", e.GetProperty("reason").GetString()));
    }
}
