using System.Buffers.Binary;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Sightline.Rtp.Codecs;
using Sightline.Rtp.Packetization;
using Sightline.Rtsp.Client;
using Sightline.TestKit;
using Xunit.Abstractions;

namespace Sightline.Rtsp.Tests.Interop;

/// <summary>Sightline's RTSP client against GStreamer's RTSP server, checked against ffprobe on the same stream.</summary>
[Trait("Category", "Interop")]
public class GstreamerCameraTests(ITestOutputHelper output)
{
    private sealed class Received
    {
        public readonly List<(RtspTrack Track, EncodedFrame Frame)> Frames = [];
        public long LastFrameTicks;
    }

    /// <summary>Plays a finite stream to its end (or <paramref name="limit"/>) and returns every frame.</summary>
    private static async Task<(RtspClient Client, Received Received)> PlayToEndAsync(string uri, TimeSpan limit)
    {
        var received = new Received();
        var client = new RtspClient(new RtspClientOptions { Uri = uri }, NullLogger.Instance);
        client.FrameReceived += (t, f, _) =>
        {
            lock (received)
            {
                received.Frames.Add((t, f));
                received.LastFrameTicks = Stopwatch.GetTimestamp();
            }
        };
        await client.StartAsync(CancellationToken.None);
        using var stop = new CancellationTokenSource(limit);
        var run = client.RunAsync(stop.Token);
        while (!run.IsCompleted && !stop.IsCancellationRequested)
        {
            await Task.WhenAny(run, Task.Delay(200));
            lock (received)
            {
                if (received.Frames.Count > 0 && Stopwatch.GetElapsedTime(received.LastFrameTicks) > TimeSpan.FromSeconds(1.5)) stop.Cancel();
            }
        }
        try
        {
            await run;
        }
        catch (RtspException e) when (e.Failure is RtspFailure.ConnectionLost or RtspFailure.NoData)
        {
            // The finite stream ended.
        }
        return (client, received);
    }

    [Theory]
    [InlineData("h264", "aac", "tcp", "none", "h264", "Constrained Baseline")]
    [InlineData("h264-high", "pcmu", "udp", "basic", "h264", "High")]
    [InlineData("h265", "none", "tcp", "digest", "hevc", "Main")]
    [InlineData("mjpeg", "pcmu", "udp", "none", "mjpeg", null)]
    [InlineData("h264", "aac-latm", "udp", "digest", "h264", "Constrained Baseline")]
    [InlineData("vp8", "opus", "tcp", "basic", "vp8", null)]
    public async Task FrameCount_AndFormat_MatchFfprobe(string codec, string audio, string transport, string auth, string ffCodec, string? profile)
    {
        const int frames = 250; // 10 s at 25 fps
        await using var camera = await CameraProcess.StartAsync($"--codec {codec} --audio {audio} --auth {auth} --user admin --password p@ss:w0rd --frames {frames} --width 640 --height 480");
        var uri = auth == "none" ? camera.Url : camera.Url.Replace("rtsp://", "rtsp://admin:p%40ss%3Aw0rd@", StringComparison.Ordinal);

        var probe = Ffprobe.CountVideoFramesAsync(uri, $"-rtsp_transport {transport}", TimeSpan.FromSeconds(40));
        var (client, received) = await PlayToEndAsync(uri + "#transport=" + transport, TimeSpan.FromSeconds(25));
        await using var _ = client;
        var (ffCount, ffDistinct) = await probe;

        var video = received.Frames.Where(f => f.Track.IsVideo).ToList();
        var audioFrames = received.Frames.Count(f => !f.Track.IsVideo);
        output.WriteLine($"{codec}/{audio} over {transport}, auth {auth}: Sightline {video.Count} video frames, {audioFrames} audio frames; ffprobe -count_frames {ffCount}, distinct times {ffDistinct}");

        Assert.Equal(transport == "tcp" ? RtspTransport.Tcp : RtspTransport.Udp, client.Transport);
        Assert.InRange(video.Count, ffDistinct * 0.98, ffDistinct * 1.02);
        Assert.InRange(video.Count, frames * 0.98, frames);
        var track = client.Tracks.Single(t => t.IsVideo);
        Assert.Equal((640, 480), (track.Parameters.Width, track.Parameters.Height));
        if (profile is not null) Assert.Equal(profile, track.Parameters.Profile);
        if (audio != "none")
        {
            Assert.True(audioFrames > 50, $"only {audioFrames} audio frames");
            Assert.Equal(audio is "pcmu" ? 8000 : 48000, client.Tracks.Single(t => !t.IsVideo).Parameters.SampleRate);
        }

        // What we deliver decodes: a keyframe written out is read by ffprobe as the camera's codec at the camera's size.
        var file = Path.Combine(Path.GetTempPath(), $"sightline-{Guid.NewGuid():N}");
        try
        {
            var key = video.First(f => f.Frame.IsKeyframe).Frame;
            await File.WriteAllBytesAsync(file, ToFileFormat(key));
            var format = codec switch { "mjpeg" => "-f mjpeg", "vp8" => "-f ivf", "h265" => "-f hevc", _ => "-f h264" };
            var info = await Ffprobe.VideoStreamAsync(file, format);
            Assert.Equal((ffCodec, 640, 480), (info.Codec, info.Width, info.Height));
            if (profile is not null) Assert.Equal(profile, info.Profile);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static byte[] ToFileFormat(EncodedFrame frame)
    {
        switch (frame.Codec)
        {
            case MediaCodec.H264 or MediaCodec.H265:
                using (var ms = new MemoryStream())
                {
                    ReadOnlySpan<byte> rest = frame.Data;
                    while (NalUnits.TryNext(ref rest, out var nal))
                    {
                        ms.Write([0, 0, 0, 1]);
                        ms.Write(nal);
                    }
                    return ms.ToArray();
                }
            case MediaCodec.VP8:
                // IVF: 32-byte file header, 12-byte frame header.
                var ivf = new byte[32 + 12 + frame.Data.Length];
                "DKIF"u8.CopyTo(ivf);
                BinaryPrimitives.WriteUInt16LittleEndian(ivf.AsSpan(6), 32);
                "VP80"u8.CopyTo(ivf.AsSpan(8));
                BinaryPrimitives.WriteUInt16LittleEndian(ivf.AsSpan(12), 640);
                BinaryPrimitives.WriteUInt16LittleEndian(ivf.AsSpan(14), 480);
                BinaryPrimitives.WriteUInt32LittleEndian(ivf.AsSpan(16), 25);
                BinaryPrimitives.WriteUInt32LittleEndian(ivf.AsSpan(20), 1);
                BinaryPrimitives.WriteUInt32LittleEndian(ivf.AsSpan(24), 1);
                BinaryPrimitives.WriteUInt32LittleEndian(ivf.AsSpan(32), (uint)frame.Data.Length);
                frame.Data.CopyTo(ivf, 44);
                return ivf;
            default:
                return frame.Data;
        }
    }

    [Fact]
    public async Task ConnectionRefused_IsItsOwnError()
    {
        var e = await Assert.ThrowsAsync<RtspException>(() => StartOnceAsync($"rtsp://127.0.0.1:{FreePorts.Tcp()}/cam"));
        Assert.Equal(RtspFailure.ConnectionRefused, e.Failure);
    }

    [Fact]
    public async Task UnresolvableHost_IsUnreachable()
    {
        var e = await Assert.ThrowsAsync<RtspException>(() => StartOnceAsync("rtsp://camera.invalid/live"));
        Assert.Equal(RtspFailure.HostUnreachable, e.Failure);
    }

    [Theory]
    [InlineData("digest")]
    [InlineData("basic")]
    public async Task WrongCredentials_AndNoCredentials_AreAuthenticationFailures(string auth)
    {
        await using var camera = await CameraProcess.StartAsync($"--auth {auth} --user admin --password right");
        var wrong = await Assert.ThrowsAsync<RtspException>(() => StartOnceAsync(camera.Url.Replace("rtsp://", "rtsp://admin:wrong@", StringComparison.Ordinal)));
        Assert.Equal(RtspFailure.AuthenticationFailed, wrong.Failure);
        Assert.DoesNotContain("wrong", wrong.Message.Replace("wrong user name", "", StringComparison.Ordinal), StringComparison.Ordinal);
        var none = await Assert.ThrowsAsync<RtspException>(() => StartOnceAsync(camera.Url));
        Assert.Equal(RtspFailure.AuthenticationFailed, none.Failure);
    }

    [Fact]
    public async Task UnknownPath_IsNotFound()
    {
        await using var camera = await CameraProcess.StartAsync();
        var e = await Assert.ThrowsAsync<RtspException>(() => StartOnceAsync($"rtsp://127.0.0.1:{camera.Port}/nothing-here"));
        Assert.Equal(RtspFailure.NotFound, e.Failure);
    }

    [Fact]
    public async Task UnsupportedCodec_SaysWhichCodecs()
    {
        await using var camera = await CameraProcess.StartAsync("--codec theora");
        var e = await Assert.ThrowsAsync<RtspException>(() => StartOnceAsync(camera.Url));
        Assert.Equal(RtspFailure.UnsupportedCodec, e.Failure);
        Assert.Contains("THEORA", e.Message, StringComparison.Ordinal);
        output.WriteLine(e.Message);
    }

    [Fact]
    public async Task CameraKilledAndRestarted_FramesResumeWithin5s_AndHistoryShowsTheStory()
    {
        await using var camera = await CameraProcess.StartAsync("--codec h264");
        await using var rtsp = new ReconnectingCamera(new RtspClientOptions { Uri = camera.Url + "#transport=tcp" }, NullLogger.Instance);
        long frames = 0;
        long lastFrame = 0;
        rtsp.FrameReceived += (t, _, _) =>
        {
            if (!t.IsVideo) return;
            Interlocked.Increment(ref frames);
            Interlocked.Exchange(ref lastFrame, Stopwatch.GetTimestamp());
        };
        rtsp.Start();
        await WaitUntilAsync(() => Interlocked.Read(ref frames) > 25, TimeSpan.FromSeconds(10), "first frames");

        await camera.KillAsync();
        await WaitUntilAsync(() => rtsp.State is CameraState.Reconnecting or CameraState.Stalled, TimeSpan.FromSeconds(10), "the loss to be noticed");
        await Task.Delay(TimeSpan.FromSeconds(3));
        var before = Interlocked.Read(ref frames);
        await camera.RestartAsync();
        var restarted = Stopwatch.GetTimestamp();
        await WaitUntilAsync(() => Interlocked.Read(ref frames) > before + 5, TimeSpan.FromSeconds(15), "frames after the restart");
        var resumedAfter = Stopwatch.GetElapsedTime(restarted);
        output.WriteLine($"frames resumed {resumedAfter.TotalMilliseconds:0} ms after the camera restarted");
        foreach (var h in rtsp.History) output.WriteLine($"{h.At:HH:mm:ss.fff} {h.State} {h.Failure} {h.Detail}");
        Assert.True(resumedAfter < TimeSpan.FromSeconds(5), $"frames resumed only after {resumedAfter}");

        var states = rtsp.History.Select(h => h.State).ToList();
        var firstPlaying = states.IndexOf(CameraState.Playing);
        var stalled = states.IndexOf(CameraState.Stalled, firstPlaying);
        var reconnecting = states.IndexOf(CameraState.Reconnecting, stalled);
        var playingAgain = states.IndexOf(CameraState.Playing, reconnecting);
        Assert.True(firstPlaying >= 0 && stalled > firstPlaying && reconnecting > stalled && playingAgain > reconnecting, string.Join(" → ", states));
        Assert.Equal(2, rtsp.Sessions);
    }

    [Fact]
    public async Task StartedAgainWhileStopping_PlaysAgainOnceTheOldSessionHasEnded()
    {
        await using var camera = await CameraProcess.StartAsync("--codec h264");
        await using var rtsp = new ReconnectingCamera(new RtspClientOptions { Uri = camera.Url + "#transport=tcp" }, NullLogger.Instance);
        var firstPlay = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondPlay = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rtsp.StateChanged += change =>
        {
            if (change.State != CameraState.Playing) return;
            if (!firstPlay.TrySetResult()) secondPlay.TrySetResult();
        };
        rtsp.Start();
        await firstPlay.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // A viewer arrives just as the linger's stop is tearing the session down (TEARDOWN still on the wire).
        var stopping = rtsp.StopAsync();
        Assert.False(stopping.IsCompleted, "the stop should still be under way");
        rtsp.Start();
        await stopping;

        await secondPlay.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(CameraState.Playing, rtsp.State);
        Assert.Equal(2, rtsp.Sessions);
        var states = rtsp.History.Select(h => h.State).ToList();
        Assert.True(states.LastIndexOf(CameraState.Stopped) < states.LastIndexOf(CameraState.Playing), string.Join(" → ", states));
    }

    [Fact]
    public async Task AutoTransport_FallsBackToTcp_WhenTheCameraOnlyDoesTcp()
    {
        await using var camera = await CameraProcess.StartAsync("--protocols tcp");
        await using var client = new RtspClient(new RtspClientOptions { Uri = camera.Url }, NullLogger.Instance);
        await client.StartAsync(CancellationToken.None);
        Assert.Equal(RtspTransport.Tcp, client.Transport);
    }

    private static async Task StartOnceAsync(string uri)
    {
        await using var client = new RtspClient(new RtspClientOptions { Uri = uri, ConnectTimeout = TimeSpan.FromSeconds(3) }, NullLogger.Instance);
        await client.StartAsync(CancellationToken.None);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(50);
        }
    }
}
