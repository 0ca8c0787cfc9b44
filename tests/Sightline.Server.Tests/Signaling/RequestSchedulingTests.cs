using System.Diagnostics;
using System.Text.Json.Nodes;
using Sightline.Server.Cameras;
using Sightline.WebRtc.Client;
using Xunit.Abstractions;
using static Sightline.Server.Tests.Http;

namespace Sightline.Server.Tests.Signaling;

/// <summary>
/// One browser socket does not wait behind a slow <c>receiveVideoFrom</c>: unrelated requests are answered at once with
/// their own ids, a stream's requests keep their order, joinRoom/leaveRoom keep theirs relative to everything, the
/// number of requests under way is bounded, and a closing socket ends its pending work.
/// </summary>
public sealed class RequestSchedulingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly WebRtcClient _browser = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _browser.DisposeAsync();

    private static Task<RunningServer> StartServerAsync() => RunningServer.StartAsync(new Dictionary<string, string?>
    {
        ["SIGHTLINE_CAMERA_LINGER_MS"] = "200",
        ["SIGHTLINE_WEBRTC_ANNOUNCED_IPS"] = "127.0.0.1",
    });

    private JsonObject Offer(string streamId) => new() { ["sender"] = streamId, ["sdpOffer"] = _browser.CreateOffer() };

    private static JsonObject Signal(string data) => new() { ["message"] = $"{{\"to\":[],\"data\":\"{data}\",\"type\":\"signal:chat\"}}" };

    [Fact]
    public async Task SendMessage_and_ping_are_answered_at_once_while_a_receiveVideoFrom_waits_for_a_silent_camera()
    {
        await using var silent = new SilentCamera();
        await using var server = await StartServerAsync();
        var sid = await CreateSessionAsync(server.Client);
        var (_, streamId) = await Viewer.PublishCameraAsync(server, sid, silent.Url());
        await using var viewer = await Viewer.JoinAsync(server, sid);

        var subscribing = await viewer.Rpc.SendAsync("receiveVideoFrom", Offer(streamId));
        await silent.FirstAccepted.WaitAsync(TimeSpan.FromSeconds(5));
        var started = Stopwatch.GetTimestamp();
        var signal = await viewer.Rpc.CallAsync("sendMessage", Signal("while-subscribing"));
        var signalTime = Stopwatch.GetElapsedTime(started);
        started = Stopwatch.GetTimestamp();
        var ping = await viewer.Rpc.CallAsync("ping");
        var pingTime = Stopwatch.GetElapsedTime(started);
        output.WriteLine($"sendMessage answered in {signalTime.TotalMilliseconds:0.0} ms, ping in {pingTime.TotalMilliseconds:0.0} ms, while receiveVideoFrom waited");

        Assert.False(subscribing.IsCompleted, "receiveVideoFrom should still wait for the camera");
        Assert.NotNull(signal["result"]);
        Assert.Equal("pong", ping["result"]!["value"]!.ToString());
        Assert.True(signalTime < TimeSpan.FromMilliseconds(100), $"sendMessage took {signalTime}");
        Assert.True(pingTime < TimeSpan.FromMilliseconds(100), $"ping took {pingTime}");
        // The signal went out to the session while the subscription was pending.
        await viewer.Rpc.WaitForNotificationAsync("sendMessage", p => p["data"]!.ToString() == "while-subscribing");

        var failed = await subscribing;
        var ids = viewer.Rpc.ResponseOrder;
        Assert.Equal(303, failed["error"]!["code"]!.GetValue<int>());
        Assert.Equal($"Camera {streamId} cannot play: it did not start playing within {CameraService.PlayWait.TotalSeconds:0} s (still connecting)", failed["error"]!["message"]!.ToString());
        // Each answer kept its request's id: receiveVideoFrom (id 2) answered last.
        Assert.Equal(2, failed["id"]!.GetValue<int>());
        Assert.Equal(3, signal["id"]!.GetValue<int>());
        Assert.Equal(4, ping["id"]!.GetValue<int>());
        Assert.Equal([0, 1, 3, 4, 2], ids);
    }

    [Fact]
    public async Task Requests_of_one_stream_keep_their_order_while_another_streams_are_answered_before()
    {
        await using var silent = new SilentCamera();
        await using var server = await StartServerAsync();
        var sid = await CreateSessionAsync(server.Client);
        var (slowCam, slowStream) = await Viewer.PublishCameraAsync(server, sid, silent.Url());
        var (_, refusedStream) = await Viewer.PublishCameraAsync(server, sid, $"rtsp://127.0.0.1:{Sightline.TestKit.FreePorts.Tcp()}/cam");
        await using var viewer = await Viewer.JoinAsync(server, sid);

        var subscribe = await viewer.Rpc.SendAsync("receiveVideoFrom", Offer(slowStream));
        var candidate = await viewer.Rpc.SendAsync("onIceCandidate", new JsonObject
        {
            ["endpointName"] = slowCam, ["candidate"] = "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", ["sdpMid"] = "0", ["sdpMLineIndex"] = 0,
        });
        var unsubscribe = await viewer.Rpc.SendAsync("unsubscribeFromVideo", new JsonObject { ["sender"] = slowCam });
        var other = await viewer.Rpc.SendAsync("receiveVideoFrom", Offer(refusedStream));

        await Task.WhenAll(subscribe, candidate, unsubscribe, other);
        var order = viewer.Rpc.ResponseOrder.Skip(2).ToArray(); // after ping and joinRoom
        output.WriteLine("answers in order of ids: " + string.Join(", ", order));
        // The refused camera's subscription (id 5) did not wait; the slow stream's three kept theirs (2, 3, 4).
        Assert.Equal([5, 2, 3, 4], order);
        Assert.Equal(303, (await other)["error"]!["code"]!.GetValue<int>());
        Assert.Equal(303, (await subscribe)["error"]!["code"]!.GetValue<int>());
        Assert.NotNull((await candidate)["result"]);
        Assert.NotNull((await unsubscribe)["result"]);
    }

    [Fact]
    public async Task JoinRoom_and_leaveRoom_keep_their_place_relative_to_every_request()
    {
        await using var silent = new SilentCamera();
        await using var server = await StartServerAsync();
        var sid = await CreateSessionAsync(server.Client);
        var (_, streamId) = await Viewer.PublishCameraAsync(server, sid, silent.Url());
        var token = (await PostAsync(server.Client, $"/openvidu/api/sessions/{sid}/connection", "{}")).Json!.Value.GetProperty("token").GetString()!;
        await using var rpc = await RpcClient.ConnectAsync(server.BaseUrl, sid);

        // Sent back to back: what follows joinRoom sees the joined participant (no 803).
        var join = await rpc.SendAsync("joinRoom", new JsonObject { ["token"] = token, ["session"] = sid, ["platform"] = "test", ["metadata"] = "" });
        var signal = await rpc.SendAsync("sendMessage", Signal("after-join"));
        var subscribe = await rpc.SendAsync("receiveVideoFrom", Offer(streamId));
        var leave = await rpc.SendAsync("leaveRoom");
        var afterLeave = await rpc.SendAsync("sendMessage", Signal("after-leave"));
        await Task.WhenAll(join, signal, subscribe, leave, afterLeave);

        Assert.NotNull((await join)["result"]);
        Assert.NotNull((await signal)["result"]);
        output.WriteLine("answers in order of ids: " + string.Join(", ", rpc.ResponseOrder));
        // leaveRoom (3) waited for the pending receiveVideoFrom (2); the signal after it (4) waited for leaveRoom.
        Assert.Equal([0, 1, 2, 3, 4], rpc.ResponseOrder);
        Assert.NotNull((await leave)["result"]);
    }

    [Fact]
    public async Task A_socket_runs_at_most_32_requests_at_once()
    {
        await using var silent = new SilentCamera();
        await using var server = await StartServerAsync();
        var sid = await CreateSessionAsync(server.Client);
        var streams = new List<string>();
        for (var i = 0; i < 32; i++) streams.Add((await Viewer.PublishCameraAsync(server, sid, silent.Url($"/cam{i}"))).StreamId);
        await using var viewer = await Viewer.JoinAsync(server, sid);

        var started = Stopwatch.GetTimestamp();
        var pending = new List<Task<JsonObject>>();
        foreach (var stream in streams) pending.Add(await viewer.Rpc.SendAsync("receiveVideoFrom", Offer(stream)));
        var signal = await viewer.Rpc.SendAsync("sendMessage", Signal("the 33rd"));
        var signalAnswer = await signal;
        var signalTime = Stopwatch.GetElapsedTime(started);
        var answers = await Task.WhenAll(pending);
        var allTime = Stopwatch.GetElapsedTime(started);
        output.WriteLine($"32 subscriptions to silent cameras settled in {allTime.TotalMilliseconds:0} ms; the 33rd request was answered after {signalTime.TotalMilliseconds:0} ms");

        // The 32 waited side by side (one wait, not 32); the 33rd request was read only once one of them had ended.
        Assert.All(answers, a => Assert.Equal(303, a["error"]!["code"]!.GetValue<int>()));
        Assert.True(allTime < CameraService.PlayWait * 2, $"the subscriptions took {allTime}");
        Assert.NotNull(signalAnswer["result"]);
        Assert.True(signalTime >= CameraService.PlayWait * 0.9, $"the 33rd request was answered after {signalTime}, before a slot freed");
    }

    [Fact]
    public async Task Closing_the_socket_ends_a_pending_subscription_and_lets_the_camera_go()
    {
        await using var silent = new SilentCamera();
        await using var server = await StartServerAsync();
        var sid = await CreateSessionAsync(server.Client);
        var uri = silent.Url();
        var (_, streamId) = await Viewer.PublishCameraAsync(server, sid, uri);
        var viewer = await Viewer.JoinAsync(server, sid);
        _ = await viewer.Rpc.SendAsync("receiveVideoFrom", Offer(streamId));
        await silent.FirstAccepted.WaitAsync(TimeSpan.FromSeconds(5));

        var closedAt = Stopwatch.GetTimestamp();
        await viewer.DisposeAsync();
        // Well before the subscription's own wait would end, the camera's only viewer is gone and the linger lets it go.
        await silent.FirstClosed.WaitAsync(CameraService.PlayWait - TimeSpan.FromSeconds(1));
        output.WriteLine($"camera connection closed {Stopwatch.GetElapsedTime(closedAt).TotalMilliseconds:0} ms after the socket");
        Assert.False(server.Service<CameraService>().Pool.Find(uri)!.IsRunning);
    }

    [Fact]
    public async Task A_subscription_the_session_refuses_releases_its_peer_and_its_hold_on_the_camera()
    {
        await using var camera = await Sightline.TestKit.CameraProcess.StartAsync("--codec h264");
        await using var slow = new DelayProxy(camera.Port, TimeSpan.FromSeconds(1.5));
        await using var server = await StartServerAsync();
        var sid = await CreateSessionAsync(server.Client);
        var uri = $"rtsp://127.0.0.1:{slow.Port}/cam#transport=tcp";
        var (_, streamId) = await Viewer.PublishCameraAsync(server, sid, uri);
        await using var viewer = await Viewer.JoinAsync(server, sid);

        var subscribing = await viewer.Rpc.SendAsync("receiveVideoFrom", Offer(streamId));
        // The backend removes the viewer while its camera is still connecting.
        await DeleteAsync(server.Client, $"/openvidu/api/sessions/{sid}/connection/{viewer.ConnectionId}");
        var answer = await subscribing;

        Assert.Equal(105, answer["error"]!["code"]!.GetValue<int>());
        var source = server.Service<CameraService>().Pool.Find(uri)!;
        Assert.Equal(0, source.ViewerCount);
        await CameraFailureTests.WaitUntilAsync(() => !source.IsRunning, TimeSpan.FromSeconds(5), "the camera to be let go");
    }
}
