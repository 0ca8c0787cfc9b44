using Sightline.Rtsp.Client;
using Sightline.TestKit;
using Xunit.Abstractions;

namespace Sightline.Rtsp.Tests.Quirks;

/// <summary>Two GStreamer cameras, started once for <see cref="TransportQuirkTests"/>: one streams only over TCP, one only over UDP.</summary>
public sealed class OneTransportCameras : IAsyncLifetime
{
    public CameraProcess TcpOnly { get; private set; } = null!;
    public CameraProcess UdpOnly { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var tcp = CameraProcess.StartAsync("--protocols tcp");
        var udp = CameraProcess.StartAsync("--protocols udp");
        TcpOnly = await tcp;
        UdpOnly = await udp;
    }

    public async Task DisposeAsync()
    {
        await TcpOnly.DisposeAsync();
        await UdpOnly.DisposeAsync();
    }
}

/// <summary>
/// The camera-quirk matrix, transports: cameras that answer 461 Unsupported Transport to a TCP-interleaved SETUP (UDP
/// only) or to a UDP SETUP (TCP only), played with the automatic choice, <c>#transport=tcp</c> and <c>#transport=udp</c>.
/// Where the asked transport is the refused one, the error says so and what to change. See <see cref="CameraQuirkTests"/>.
/// </summary>
[Trait("Category", "Interop")]
public sealed class TransportQuirkTests(OneTransportCameras cameras, ITestOutputHelper output) : IClassFixture<OneTransportCameras>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    /// <summary>Some cameras stream only over TCP: a UDP SETUP is answered 461.</summary>
    [Theory]
    [InlineData("")]
    [InlineData("#transport=tcp")]
    public async Task Plays_over_TCP_when_the_camera_refuses_UDP(string fragment)
    {
        await using var playback = await QuirkPlayback.PlayAsync(cameras.TcpOnly.Url + fragment, 10, Limit);
        Assert.Null(playback.RunError);
        Assert.Equal(RtspTransport.Tcp, playback.Client.Transport);
        Assert.True(playback.Video.Count >= 10, $"{playback.Video.Count} frames");
        Assert.Contains(playback.Video, f => f.Frame.IsKeyframe);
    }

    /// <summary>Some cameras stream only over UDP: an interleaved SETUP is answered 461.</summary>
    [Theory]
    [InlineData("")]
    [InlineData("#transport=udp")]
    public async Task Plays_over_UDP_when_the_camera_refuses_TCP(string fragment)
    {
        await using var playback = await QuirkPlayback.PlayAsync(cameras.UdpOnly.Url + fragment, 10, Limit);
        Assert.Null(playback.RunError);
        Assert.Equal(RtspTransport.Udp, playback.Client.Transport);
        Assert.True(playback.Video.Count >= 10, $"{playback.Video.Count} frames");
        Assert.Contains(playback.Video, f => f.Frame.IsKeyframe);
    }

    [Fact]
    public async Task Says_why_when_UDP_is_asked_of_a_camera_that_refuses_it()
    {
        var e = await Assert.ThrowsAsync<RtspException>(() => QuirkPlayback.PlayAsync(cameras.TcpOnly.Url + "#transport=udp", 1, Limit));
        output.WriteLine(e.Message);
        Assert.Equal(RtspFailure.TransportRefused, e.Failure);
        Assert.Contains("does not stream over UDP", e.Message, StringComparison.Ordinal);
        Assert.Contains("#transport=tcp", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Says_why_when_TCP_is_asked_of_a_camera_that_refuses_it()
    {
        var e = await Assert.ThrowsAsync<RtspException>(() => QuirkPlayback.PlayAsync(cameras.UdpOnly.Url + "#transport=tcp", 1, Limit));
        output.WriteLine(e.Message);
        Assert.Equal(RtspFailure.TransportRefused, e.Failure);
        Assert.Contains("does not stream over TCP", e.Message, StringComparison.Ordinal);
        Assert.Contains("#transport=udp", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A camera that refuses both (multicast-only, or broken): one error that names both.</summary>
    [Fact]
    public async Task Says_why_when_the_camera_refuses_both_transports()
    {
        var media = new H264Unit([[0x67, 0x4d, 0x00, 0x1e], [0x68, 0xee, 0x3c, 0x80]]); // never sent: no SETUP succeeds
        await using var camera = FakeRtspCamera.Start(new FakeCameraScript { Tracks = [FakeTrack.H264([media], 25)], RefuseTcp = true, RefuseUdp = true });
        var e = await Assert.ThrowsAsync<RtspException>(() => QuirkPlayback.PlayAsync(camera.Url, 1, Limit));
        output.WriteLine(e.Message);
        Assert.Equal(RtspFailure.TransportRefused, e.Failure);
        Assert.Contains("neither UDP nor TCP", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, camera.Requests.Count(r => r.StartsWith("SETUP", StringComparison.Ordinal)));
    }
}
