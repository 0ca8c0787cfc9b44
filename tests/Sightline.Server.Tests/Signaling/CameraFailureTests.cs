using System.Diagnostics;
using System.Text.Json.Nodes;
using Sightline.Server.Cameras;
using Sightline.TestKit;
using Sightline.WebRtc.Client;
using Xunit.Abstractions;
using static Sightline.Server.Tests.Http;

namespace Sightline.Server.Tests.Signaling;

/// <summary>
/// A subscription to a camera that cannot play fails within 5 s with OpenVidu's 303 and the camera's reason in plain
/// words, in both subscribe flows, and the Connection JSON's <c>cameraStatus</c> says the same. Real GStreamer cameras.
/// </summary>
[Trait("Category", "Interop")]
public sealed class CameraFailureTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(200);

    private static Task<RunningServer> StartServerAsync(bool serverOffers) => RunningServer.StartAsync(new Dictionary<string, string?>
    {
        ["SIGHTLINE_CAMERA_LINGER_MS"] = ((int)Linger.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["SIGHTLINE_WEBRTC_ANNOUNCED_IPS"] = "127.0.0.1",
        ["SIGHTLINE_SUBSCRIBE_FLOW"] = serverOffers ? "server-offers" : "browser-offers",
    });

    /// <summary>Subscribes as openvidu-browser does in the chosen flow; returns the response of the request that settles it.</summary>
    private static async Task<JsonObject> SubscribeAsync(Viewer viewer, string streamId, bool serverOffers)
    {
        if (serverOffers)
        {
            var prepared = await viewer.Rpc.CallAsync("prepareReceiveVideoFrom", new JsonObject { ["sender"] = streamId, ["reconnect"] = false });
            if (prepared["error"] is not null) return prepared;
            throw new InvalidOperationException("the camera was expected to fail, yet it offered: " + prepared);
        }
        await using var browser = new WebRtcClient();
        return await viewer.Rpc.CallAsync("receiveVideoFrom", new JsonObject { ["sender"] = streamId, ["sdpOffer"] = browser.CreateOffer() });
    }

    [Theory]
    [InlineData("refused port", false)]
    [InlineData("wrong password", false)]
    [InlineData("unknown path", false)]
    [InlineData("DESCRIBE answered 503", false)]
    [InlineData("refused port", true)]
    [InlineData("wrong password", true)]
    [InlineData("unknown path", true)]
    [InlineData("DESCRIBE answered 503", true)]
    public async Task Subscribing_to_a_camera_that_cannot_play_fails_within_5s_naming_the_reason(string fault, bool serverOffers)
    {
        CameraProcess? camera = null;
        string uri, reason;
        switch (fault)
        {
            case "refused port":
                var port = FreePorts.Tcp();
                uri = $"rtsp://127.0.0.1:{port}/cam";
                reason = $"the camera at 127.0.0.1:{port} refused the connection (nothing listens on that port)";
                break;
            case "wrong password":
                camera = await CameraProcess.StartAsync("--auth digest --user admin --password right");
                uri = camera.Url.Replace("rtsp://", "rtsp://admin:wr0ngpass@", StringComparison.Ordinal);
                reason = "the camera refused the credentials for user 'admin' (wrong user name or password)";
                break;
            case "unknown path":
                camera = await CameraProcess.StartAsync();
                uri = $"rtsp://127.0.0.1:{camera.Port}/nothing-here";
                reason = "the camera has no stream at this path (DESCRIBE: 404 Not Found)";
                break;
            default:
                camera = await CameraProcess.StartAsync("--codec broken");
                uri = camera.Url;
                reason = "the camera answered DESCRIBE with 503 Service Unavailable";
                break;
        }
        try
        {
            await using var server = await StartServerAsync(serverOffers);
            var sid = await CreateSessionAsync(server.Client);
            var (camId, streamId) = await Viewer.PublishCameraAsync(server, sid, uri);
            await using var viewer = await Viewer.JoinAsync(server, sid);

            var started = Stopwatch.GetTimestamp();
            var response = await SubscribeAsync(viewer, streamId, serverOffers);
            var elapsed = Stopwatch.GetElapsedTime(started);
            output.WriteLine($"{fault} ({(serverOffers ? "server offers" : "browser offers")}): answered in {elapsed.TotalMilliseconds:0} ms: {response["error"]}");

            Assert.True(elapsed < TimeSpan.FromSeconds(5), $"answered after {elapsed}");
            Assert.Null(response["result"]);
            Assert.Equal(303, response["error"]!["code"]!.GetValue<int>());
            var message = response["error"]!["message"]!.ToString();
            Assert.Equal($"Camera {streamId} cannot play: {reason}", message);
            Assert.DoesNotContain("wr0ngpass", message, StringComparison.Ordinal);

            // The backend reads the same reason in the camera's Connection JSON; nobody is subscribed.
            var status = await Viewer.CameraStatusAsync(server, sid, camId);
            Assert.Equal(reason, status.GetProperty("lastError").GetString());
            var me = (await GetAsync(server.Client, $"/openvidu/api/sessions/{sid}/connection/{viewer.ConnectionId}")).Json!.Value;
            Assert.Equal(0, me.GetProperty("subscribers").GetArrayLength());
            // The viewer's hold on the on-demand camera was let go: it stops after the linger.
            var source = server.Service<CameraService>().Pool.Find(uri)!;
            await WaitUntilAsync(() => !source.IsRunning, TimeSpan.FromSeconds(5), "the camera to be let go");
            Assert.Equal(0, source.ViewerCount);
        }
        finally
        {
            if (camera is not null) await camera.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_slow_camera_that_plays_within_the_wait_is_subscribed()
    {
        await using var camera = await CameraProcess.StartAsync("--codec h264");
        await using var slow = new DelayProxy(camera.Port, TimeSpan.FromSeconds(1.5));
        await using var server = await StartServerAsync(serverOffers: false);
        var sid = await CreateSessionAsync(server.Client);
        var (_, streamId) = await Viewer.PublishCameraAsync(server, sid, $"rtsp://127.0.0.1:{slow.Port}/cam#transport=tcp");
        await using var viewer = await Viewer.JoinAsync(server, sid);
        await using var browser = new WebRtcClient();

        var started = Stopwatch.GetTimestamp();
        var response = await viewer.Rpc.CallAsync("receiveVideoFrom", new JsonObject { ["sender"] = streamId, ["sdpOffer"] = browser.CreateOffer() });
        var elapsed = Stopwatch.GetElapsedTime(started);
        output.WriteLine($"answered after {elapsed.TotalMilliseconds:0} ms for a camera that holds its connection {slow.Delay.TotalMilliseconds:0} ms");

        Assert.Null(response["error"]);
        Assert.StartsWith("v=0", response["result"]!["sdpAnswer"]!.ToString());
        Assert.InRange(elapsed, slow.Delay, CameraService.PlayWait);
        await browser.ConnectAsync(response["result"]!["sdpAnswer"]!.ToString(), TimeSpan.FromSeconds(5));
        await WaitUntilAsync(() => browser.FramesCompleted > 5, TimeSpan.FromSeconds(10), "frames from the slow camera");
    }

    [Fact]
    public async Task A_new_subscriber_of_a_camera_that_is_down_hears_the_reason_at_once_while_the_attached_viewer_stays()
    {
        await using var camera = await CameraProcess.StartAsync("--codec h264");
        await using var server = await StartServerAsync(serverOffers: false);
        var sid = await CreateSessionAsync(server.Client);
        var (camId, streamId) = await Viewer.PublishCameraAsync(server, sid, camera.Url + "#transport=tcp", onlyPlayWithSubscribers: false);
        await using var attached = await Viewer.JoinAsync(server, sid);
        await using var first = new WebRtcClient();
        var answer = await attached.Rpc.CallAsync("receiveVideoFrom", new JsonObject { ["sender"] = streamId, ["sdpOffer"] = first.CreateOffer() });
        Assert.Null(answer["error"]);
        await first.ConnectAsync(answer["result"]!["sdpAnswer"]!.ToString(), TimeSpan.FromSeconds(5));

        await camera.KillAsync();
        var source = server.Service<CameraService>().Pool.Find(camera.Url + "#transport=tcp")!;
        await WaitUntilAsync(() => source.Camera.LastError is not null, TimeSpan.FromSeconds(10), "the camera's loss to be noticed");

        await using var late = await Viewer.JoinAsync(server, sid);
        await using var second = new WebRtcClient();
        var started = Stopwatch.GetTimestamp();
        var refused = await late.Rpc.CallAsync("receiveVideoFrom", new JsonObject { ["sender"] = streamId, ["sdpOffer"] = second.CreateOffer() });
        var elapsed = Stopwatch.GetElapsedTime(started);
        output.WriteLine($"new subscriber answered in {elapsed.TotalMilliseconds:0} ms: {refused["error"]}");
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"answered after {elapsed}");
        Assert.Equal(303, refused["error"]!["code"]!.GetValue<int>());
        var lastError = (await Viewer.CameraStatusAsync(server, sid, camId)).GetProperty("lastError").GetString();
        Assert.False(string.IsNullOrEmpty(lastError));
        Assert.Equal($"Camera {streamId} cannot play: {lastError}", refused["error"]!["message"]!.ToString());

        // The viewer that was watching stays subscribed, and gets frames again when the camera is back.
        var me = (await GetAsync(server.Client, $"/openvidu/api/sessions/{sid}/connection/{attached.ConnectionId}")).Json!.Value;
        Assert.Equal(streamId, me.GetProperty("subscribers")[0].GetProperty("streamId").GetString());
        var before = first.FramesCompleted;
        await camera.RestartAsync();
        await WaitUntilAsync(() => first.FramesCompleted > before + 5, TimeSpan.FromSeconds(15), "frames after the camera came back");
        var again = await late.Rpc.CallAsync("receiveVideoFrom", new JsonObject { ["sender"] = streamId, ["sdpOffer"] = second.CreateOffer() });
        Assert.Null(again["error"]);
    }

    [Fact]
    public async Task A_server_offered_peer_whose_answer_never_came_is_closed_when_its_viewer_leaves()
    {
        await using var camera = await CameraProcess.StartAsync("--codec h264");
        await using var server = await StartServerAsync(serverOffers: true);
        var sid = await CreateSessionAsync(server.Client);
        var (_, streamId) = await Viewer.PublishCameraAsync(server, sid, camera.Url);
        await using var viewer = await Viewer.JoinAsync(server, sid);
        var offered = await viewer.Rpc.CallAsync("prepareReceiveVideoFrom", new JsonObject { ["sender"] = streamId, ["reconnect"] = false });
        Assert.StartsWith("v=0", offered["result"]!["sdpOffer"]!.ToString());
        var source = server.Service<CameraService>().Pool.Find(camera.Url)!;
        Assert.True(source.IsRunning);

        // The browser leaves without answering the offer: the camera it held is let go like any viewer's.
        Assert.NotNull((await viewer.Rpc.CallAsync("leaveRoom"))["result"]);
        await WaitUntilAsync(() => !source.IsRunning, TimeSpan.FromSeconds(5), "the camera to be let go");
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(50);
        }
    }
}
