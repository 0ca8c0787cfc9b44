using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Sightline.Codecs;
using Sightline.Media.Ingest;
using Sightline.Rtp.Codecs;
using Sightline.Rtp.Packetization;
using Sightline.Rtsp.Client;
using Sightline.TestKit;

namespace Sightline.Media.Tests.Ingest;

/// <summary>
/// File and HTTP cameras through libavformat, against media made by ffmpeg at test time: the frames come out as the RTP
/// path's (sizes, keyframes with their parameter sets, AAC without ADTS), decode at their size, and files loop with
/// timestamps that keep increasing.
/// </summary>
public sealed class MediaInputSessionTests : IAsyncLifetime
{
    private DirectoryInfo _dir = null!;
    private CameraFiles _files = null!;

    public Task InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("sightline-ingest-");
        _files = new CameraFiles(_dir.FullName);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _dir.Delete(true);
        return Task.CompletedTask;
    }

    private sealed record Received(ICameraTrack Track, EncodedFrame Frame);

    private async Task<string> MakeAsync(string name, string ffmpegArgs)
    {
        var path = Path.Combine(_dir.FullName, name);
        await MediaFiles.RunFfmpegAsync($"{ffmpegArgs} \"{path}\"");
        return path;
    }

    private const string TestPicture = "-f lavfi -i testsrc=size=320x240:rate=25";
    private const string Tone = "-f lavfi -i sine=frequency=440:sample_rate=48000";

    /// <summary>Plays a session unpaced until <paramref name="enough"/> says so (or 20 s), and returns every frame in order.</summary>
    private static async Task<(List<Received> Frames, MediaInputSession Session)> PlayAsync(ICameraSession session, Func<List<Received>, bool> enough)
    {
        var frames = new List<Received>();
        using var done = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        session.FrameReceived += (t, f, _) =>
        {
            lock (frames)
            {
                frames.Add(new Received(t, f));
                if (enough(frames)) done.Cancel();
            }
        };
        await session.StartAsync(done.Token);
        await session.RunAsync(done.Token);
        lock (frames) return ([.. frames], (MediaInputSession)session);
    }

    private ICameraSession Session(string path) => CameraSessions.Session("file://" + path, _files, NullLogger.Instance, realTime: false);

    private static int[] NalTypes(EncodedFrame frame, bool h265)
    {
        var types = new List<int>();
        var rest = (ReadOnlySpan<byte>)frame.Data;
        while (NalUnits.TryNext(ref rest, out var nal)) types.Add(h265 ? nal[0] >> 1 & 0x3f : nal[0] & 0x1f);
        Assert.True(rest.IsEmpty, "the frame is whole 4-byte length-prefixed NAL units");
        return [.. types];
    }

    private static void AssertIncreasing(IEnumerable<EncodedFrame> frames, string what)
    {
        long last = -1;
        var unwrap = new Sightline.Rtp.Time.TimestampUnwrapper();
        foreach (var f in frames)
        {
            var t = unwrap.Unwrap(f.RtpTimestamp);
            Assert.True(t > last, $"{what}: timestamp {t} after {last}");
            last = t;
        }
    }

    [Fact]
    public async Task An_MP4_with_H264_and_AAC_gives_length_prefixed_keyframes_with_SPS_PPS_and_raw_AAC_with_its_config()
    {
        var path = await MakeAsync("camera.mp4", $"{TestPicture} {Tone} -t 2 -c:v libx264 -preset veryfast -profile:v high -g 25 -bf 0 -pix_fmt yuv420p -c:a aac -shortest");
        var (frames, session) = await PlayAsync(Session(path), f => f.Count(x => x.Track.IsVideo) >= 50);
        var video = frames.Where(f => f.Track.IsVideo).Select(f => f.Frame).ToList();
        var audio = frames.Where(f => !f.Track.IsVideo).ToList();
        var track = frames.First(f => f.Track.IsVideo).Track;

        Assert.Equal(("FILE", MediaCodec.H264, 90000), (session.Transport, track.Codec, track.ClockRate));
        Assert.Equal((320, 240, "High", "64000d"), (track.Parameters.Width, track.Parameters.Height, track.Parameters.Profile, track.Parameters.ProfileLevelId));
        Assert.Equal(25.0, track.Parameters.FrameRate!.Value, 3);
        Assert.True(session.PlaysInLoop);
        Assert.True(video[0].IsKeyframe);
        Assert.Equal(2, video.Count(f => f.IsKeyframe));
        foreach (var key in video.Where(f => f.IsKeyframe)) Assert.Equal([7, 8, 5], NalTypes(key, h265: false).Where(t => t != 6).Take(3));
        Assert.All(video.Where(f => !f.IsKeyframe), f => Assert.DoesNotContain(5, NalTypes(f, h265: false)));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (uint)(i * 3600)), video.Take(50).Select(f => f.RtpTimestamp));

        var aac = audio[0].Track;
        Assert.Equal((MediaCodec.AAC, 48000, 48000, 1), (aac.Codec, aac.ClockRate, aac.Parameters.SampleRate, aac.Parameters.Channels));
        Assert.Equal(2, aac.Parameters.Config![0] >> 3); // AudioSpecificConfig: AAC-LC
        Assert.All(audio, a => Assert.False(a.Frame.Data[0] == 0xff && (a.Frame.Data[1] & 0xf0) == 0xf0, "no ADTS header"));
        AssertIncreasing(audio.Select(a => a.Frame), "AAC");

        using var decoder = new VideoDecoder("h264");
        var pictures = 0;
        foreach (var f in video) decoder.Decode(NalUnits.ToAnnexB(f.Data), pictures, (in Picture p) =>
        {
            pictures++;
            Assert.Equal((320, 240), (p.Width, p.Height));
        });
        Assert.True(pictures >= 48, $"{pictures} pictures decoded of {video.Count}");
    }

    [Fact]
    public async Task A_file_loops_with_timestamps_that_keep_increasing_and_a_keyframe_first()
    {
        var path = await MakeAsync("loop.mp4", $"{TestPicture} {Tone} -t 1 -c:v libx264 -preset veryfast -g 10 -bf 0 -pix_fmt yuv420p -c:a aac -shortest");
        var (frames, session) = await PlayAsync(Session(path), f => f.Count(x => x.Track.IsVideo) >= 25 * 3 + 1);
        var video = frames.Where(f => f.Track.IsVideo).Select(f => f.Frame).ToList();
        Assert.True(session.Loops >= 3, $"{session.Loops} loops");
        AssertIncreasing(video, "video");
        AssertIncreasing(frames.Where(f => !f.Track.IsVideo).Select(f => f.Frame), "audio");
        for (var loop = 0; loop <= 3; loop++) Assert.True(video[loop * 25].IsKeyframe, $"loop {loop} starts on a keyframe");
        // One frame (3600 at 90 kHz) between the last frame of a loop and the first of the next: the pace goes on.
        Assert.Equal(3600u, video[25].RtpTimestamp - video[24].RtpTimestamp);
        Assert.Equal(25u * 3 * 3600, video[75].RtpTimestamp - video[0].RtpTimestamp);
    }

    [Fact]
    public async Task A_file_plays_at_its_own_pace()
    {
        var path = await MakeAsync("paced.mp4", $"{TestPicture} -t 2 -c:v libx264 -preset veryfast -g 25 -bf 0 -pix_fmt yuv420p");
        await using var session = CameraSessions.Session("file://" + path, _files, NullLogger.Instance);
        var arrivals = new List<(long Ticks, uint Timestamp)>();
        using var done = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        session.FrameReceived += (_, f, _) =>
        {
            lock (arrivals)
            {
                arrivals.Add((Stopwatch.GetTimestamp(), f.RtpTimestamp));
                if (arrivals.Count == 76) done.Cancel();
            }
        };
        await session.StartAsync(done.Token);
        await session.RunAsync(done.Token);
        var seconds = Stopwatch.GetElapsedTime(arrivals[0].Ticks, arrivals[75].Ticks).TotalSeconds;
        Assert.InRange(seconds, 2.9, 3.3); // 75 frames of 40 ms, across a loop
        Assert.Equal(75u * 3600, arrivals[75].Timestamp - arrivals[0].Timestamp);
    }

    [Fact]
    public async Task B_frames_come_in_decode_order_with_presentation_timestamps()
    {
        var path = await MakeAsync("bframes.mp4", $"{TestPicture} -t 2 -c:v libx264 -preset veryfast -profile:v main -bf 3 -g 25 -pix_fmt yuv420p");
        var (frames, _) = await PlayAsync(Session(path), f => f.Count >= 50);
        var stamps = frames.Take(50).Select(f => f.Frame.RtpTimestamp).ToList();
        Assert.NotEqual(stamps.OrderBy(t => t), stamps); // reordered: pts is not monotonic in decode order
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (uint)(i * 3600)), stamps.OrderBy(t => t)); // every presentation time once
        Assert.True(frames[0].Frame.IsKeyframe);
        // Said as RTP cameras say it, so browsers get a re-encoded version and recordings their composition offsets.
        Assert.True(frames[0].Track.Parameters.Reordering is { Reorders: true, Depth: >= 1 and <= 3 }, $"{frames[0].Track.Parameters.Reordering}");
    }

    [Theory]
    [InlineData("camera.mkv")]
    [InlineData("camera.webm")]
    public async Task VP8_and_Opus_from_Matroska_are_whole_frames_on_their_clocks(string name)
    {
        var path = await MakeAsync(name, $"{TestPicture} {Tone} -t 2 -c:v libvpx -deadline realtime -g 25 -b:v 500k -c:a libopus -shortest");
        var (frames, _) = await PlayAsync(Session(path), f => f.Count(x => x.Track.IsVideo) >= 50);
        var video = frames.Where(f => f.Track.IsVideo).ToList();
        var opus = frames.Where(f => !f.Track.IsVideo).ToList();
        Assert.Equal((MediaCodec.VP8, 320, 240), (video[0].Track.Codec, video[0].Track.Parameters.Width, video[0].Track.Parameters.Height));
        Assert.True(video[0].Frame.IsKeyframe);
        Assert.Equal(2, video.Take(50).Count(f => f.Frame.IsKeyframe));
        Assert.Equal((MediaCodec.Opus, 48000), (opus[0].Track.Codec, opus[0].Track.ClockRate));
        // 20 ms at 48 kHz each, exactly, although Matroska's timestamps are in milliseconds.
        Assert.All(opus.Zip(opus.Skip(1)), p => Assert.Equal(960u, p.Second.Frame.RtpTimestamp - p.First.Frame.RtpTimestamp));

        using var decoder = new VideoDecoder("vp8");
        var pictures = 0;
        foreach (var f in video) decoder.Decode(f.Frame.Data, pictures, (in Picture p) =>
        {
            pictures++;
            Assert.Equal((320, 240), (p.Width, p.Height));
        });
        Assert.True(pictures >= 49, $"{pictures} pictures");
    }

    [Fact]
    public async Task An_MPEG_TS_with_H265_and_ADTS_AAC_gives_keyframes_with_VPS_SPS_PPS_and_AAC_without_headers()
    {
        var path = await MakeAsync("camera.ts", $"{TestPicture} {Tone} -t 2 -c:v libx265 -preset ultrafast -x265-params keyint=25:min-keyint=25:bframes=0:log-level=error -pix_fmt yuv420p -c:a aac -shortest -f mpegts");
        var (frames, session) = await PlayAsync(Session(path), f => f.Count(x => x.Track.IsVideo) >= 50);
        Assert.Equal("mpegts", session.Info!.Format);
        var video = frames.Where(f => f.Track.IsVideo).ToList();
        var audio = frames.Where(f => !f.Track.IsVideo).ToList();
        Assert.Equal((MediaCodec.H265, 320, 240, "Main"), (video[0].Track.Codec, video[0].Track.Parameters.Width, video[0].Track.Parameters.Height, video[0].Track.Parameters.Profile));
        Assert.True(video[0].Frame.IsKeyframe);
        foreach (var key in video.Where(f => f.Frame.IsKeyframe))
        {
            var types = NalTypes(key.Frame, h265: true);
            Assert.Equal([32, 33, 34], types.Where(t => t is 32 or 33 or 34).Take(3));
            Assert.DoesNotContain(35, types); // access unit delimiters dropped
        }
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (uint)(i * 3600)), video.Take(50).Select(f => f.Frame.RtpTimestamp - video[0].Frame.RtpTimestamp));

        var aac = audio[0].Track;
        Assert.Equal((MediaCodec.AAC, 48000), (aac.Codec, aac.ClockRate));
        Assert.Equal([0x11, 0x88], aac.Parameters.Config!); // from the ADTS header: AAC-LC, 48 kHz, mono
        Assert.All(audio, a => Assert.False(a.Frame.Data[0] == 0xff && (a.Frame.Data[1] & 0xf0) == 0xf0, "ADTS header stripped"));
        AssertIncreasing(audio.Select(a => a.Frame), "AAC");

        using var decoder = new VideoDecoder("hevc");
        var pictures = 0;
        foreach (var f in video) decoder.Decode(NalUnits.ToAnnexB(f.Frame.Data), pictures, (in Picture p) =>
        {
            pictures++;
            Assert.Equal((320, 240), (p.Width, p.Height));
        });
        Assert.True(pictures >= 45, $"{pictures} pictures");
    }

    [Fact]
    public async Task MJPEG_over_HTTP_gives_whole_JPEG_keyframes_timed_by_arrival()
    {
        var jpegs = await JpegFramesAsync(320, 240, 10);
        await using var server = new TestHttpServer(async (_, s, c) =>
        {
            await s.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=frame\r\nConnection: close\r\n\r\n"), c);
            for (var i = 0; !c.IsCancellationRequested; i++)
            {
                var jpeg = jpegs[i % jpegs.Count];
                await s.WriteAsync(Encoding.ASCII.GetBytes($"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {jpeg.Length}\r\n\r\n"), c);
                await s.WriteAsync(jpeg, c);
                await s.WriteAsync("\r\n"u8.ToArray(), c);
                await Task.Delay(40, c);
            }
        });
        var (frames, session) = await PlayAsync(CameraSessions.Session(server.Url("/mjpg/video.mjpg"), _files, NullLogger.Instance), f => f.Count >= 30);
        Assert.Equal(("HTTP", "mpjpeg"), (session.Transport, session.Info!.Format));
        Assert.False(session.Info.HasTimestamps);
        var track = frames[0].Track;
        Assert.Equal((MediaCodec.MJPEG, 320, 240), (track.Codec, track.Parameters.Width, track.Parameters.Height));
        Assert.All(frames, f =>
        {
            Assert.True(f.Frame.IsKeyframe);
            Assert.Equal([0xff, 0xd8], f.Frame.Data[..2]);
            Assert.Equal([0xff, 0xd9], f.Frame.Data[^2..]);
        });
        AssertIncreasing(frames.Skip(10).Select(f => f.Frame), "arrival times");
        var seconds = (frames[^1].Frame.RtpTimestamp - frames[10].Frame.RtpTimestamp) / 90000.0;
        Assert.InRange(seconds, (frames.Count - 11) * 0.03, (frames.Count - 11) * 0.08); // about 40 ms apart, as sent
    }

    private async Task<List<byte[]>> JpegFramesAsync(int width, int height, int count)
    {
        var pattern = Path.Combine(_dir.FullName, "frame-%03d.jpg");
        await MediaFiles.RunFfmpegAsync($"-f lavfi -i testsrc=size={width}x{height}:rate=25 -frames:v {count} -q:v 5 \"{pattern}\"");
        return [.. Enumerable.Range(1, count).Select(i => File.ReadAllBytes(Path.Combine(_dir.FullName, $"frame-{i:000}.jpg")))];
    }

    // Serves the files of a folder, as a plain web server without ranges would.
    private TestHttpServer FolderServer(string folder) => new(async (request, s, c) =>
    {
        var file = Path.Combine(folder, Path.GetFileName(request.Path));
        if (!File.Exists(file))
        {
            await TestHttpServer.RespondAsync(s, 404, "Not Found", "text/plain", [], c);
            return;
        }
        var type = file.EndsWith(".m3u8", StringComparison.Ordinal) ? "application/vnd.apple.mpegurl" : "application/octet-stream";
        await TestHttpServer.RespondAsync(s, 200, "OK", type, await File.ReadAllBytesAsync(file, c), c);
    });

    [Fact]
    public async Task An_HLS_playlist_over_HTTP_plays_its_segments_in_order()
    {
        var hls = Directory.CreateDirectory(Path.Combine(_dir.FullName, "hls")).FullName;
        await MediaFiles.RunFfmpegAsync($"{TestPicture} -t 6 -c:v libx264 -preset veryfast -g 25 -bf 0 -pix_fmt yuv420p -f hls -hls_time 2 -hls_playlist_type vod \"{Path.Combine(hls, "index.m3u8")}\"");
        await using var server = FolderServer(hls);
        var (frames, session) = await PlayAsync(CameraSessions.Session(server.Url("/index.m3u8"), _files, NullLogger.Instance, realTime: false), f => f.Count >= 150);
        Assert.Equal("hls", session.Info!.Format);
        Assert.True(server.Requests >= 4, $"{server.Requests} requests: the playlist and its three segments");
        Assert.Equal(6, frames.Take(150).Count(f => f.Frame.IsKeyframe));
        Assert.Equal(Enumerable.Range(0, 150).Select(i => (uint)(i * 3600)), frames.Take(150).Select(f => f.Frame.RtpTimestamp - frames[0].Frame.RtpTimestamp));
    }

    [Fact]
    public async Task An_FLV_over_HTTP_gives_H264_from_its_avcC_and_raw_AAC()
    {
        var path = await MakeAsync("camera.flv", $"{TestPicture} {Tone} -t 2 -c:v libx264 -preset veryfast -g 25 -bf 0 -pix_fmt yuv420p -c:a aac -shortest");
        await using var server = FolderServer(_dir.FullName);
        var (frames, session) = await PlayAsync(CameraSessions.Session(server.Url("/camera.flv"), _files, NullLogger.Instance, realTime: false), f => f.Count(x => x.Track.IsVideo) >= 50);
        Assert.Equal("flv", session.Info!.Format);
        var video = frames.Where(f => f.Track.IsVideo).ToList();
        Assert.Equal([7, 8, 5], NalTypes(video[0].Frame, h265: false).Where(t => t != 6).Take(3));
        var aac = frames.First(f => !f.Track.IsVideo).Track;
        Assert.Equal((MediaCodec.AAC, 48000), (aac.Codec, aac.Parameters.SampleRate));
        Assert.NotNull(aac.Parameters.Config);
    }

    [Fact]
    public async Task A_live_HTTP_stream_that_ends_is_played_again_after_the_backoff()
    {
        var ts = await MakeAsync("live.ts", $"{TestPicture} -t 1 -c:v libx264 -preset veryfast -g 25 -bf 0 -pix_fmt yuv420p -f mpegts");
        var bytes = await File.ReadAllBytesAsync(ts);
        // Served without Content-Length or ranges: a live stream, which ends after one second of video.
        await using var server = new TestHttpServer(async (_, s, c) =>
        {
            await s.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nConnection: close\r\n\r\n"), c);
            await s.WriteAsync(bytes, c);
        });
        await using var camera = CameraSessions.Camera(server.Url("/live.ts"), 2000, _files, NullLogger.Instance);
        var keyframes = 0;
        camera.FrameReceived += (t, f, _) => { if (f.IsKeyframe) Interlocked.Increment(ref keyframes); };
        camera.Start();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (camera.Sessions < 2 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(camera.Sessions >= 2, $"{camera.Sessions} sessions");
        var states = camera.History.Select(h => h.State).ToList();
        var stalled = states.IndexOf(CameraState.Stalled);
        Assert.True(stalled > states.IndexOf(CameraState.Playing), string.Join(", ", states));
        Assert.True(camera.History.Any(h => h.State == CameraState.Stalled && h.Failure == RtspFailure.ConnectionLost && h.Detail!.Contains("ended")),
            string.Join(" | ", camera.History.Select(h => $"{h.State} {h.Failure} {h.Detail}")));
        Assert.Equal(CameraState.Reconnecting, states[stalled + 1]);
        Assert.True(Volatile.Read(ref keyframes) >= 1);
        Assert.Equal("HTTP", camera.Transport);
    }

    [Fact]
    public async Task Credentials_in_the_URI_answer_HTTP_Basic_and_wrong_ones_fail_as_AuthenticationFailed()
    {
        var ts = await MakeAsync("auth.ts", $"{TestPicture} -t 1 -c:v libx264 -preset veryfast -g 25 -bf 0 -pix_fmt yuv420p -f mpegts");
        var bytes = await File.ReadAllBytesAsync(ts);
        var expected = "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("admin:s3cret"));
        await using var server = new TestHttpServer(async (request, s, c) =>
        {
            if (request.Headers.GetValueOrDefault("authorization") != expected)
            {
                await s.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"camera\"\r\nContent-Length: 0\r\n\r\n"), c);
                return;
            }
            await TestHttpServer.RespondAsync(s, 200, "OK", "video/mp2t", bytes, c);
        });
        var url = server.Url("/live.ts");
        var (frames, _) = await PlayAsync(CameraSessions.Session(url.Replace("http://", "http://admin:s3cret@", StringComparison.Ordinal), _files, NullLogger.Instance, realTime: false), f => f.Count >= 10);
        Assert.True(frames.Count >= 10);

        await using var wrong = CameraSessions.Session(url.Replace("http://", "http://admin:nope@", StringComparison.Ordinal), _files, NullLogger.Instance);
        var e = await Assert.ThrowsAsync<RtspException>(() => wrong.StartAsync(CancellationToken.None));
        Assert.Equal(RtspFailure.AuthenticationFailed, e.Failure);
        Assert.DoesNotContain("nope", e.Message);
    }

    [Fact]
    public async Task An_HTTP_404_fails_as_NotFound_within_seconds()
    {
        await using var server = new TestHttpServer((_, s, c) => TestHttpServer.RespondAsync(s, 404, "Not Found", "text/html", "<h1>no</h1>"u8.ToArray(), c));
        var clock = Stopwatch.StartNew();
        await using var session = CameraSessions.Session(server.Url("/mjpg/video.mjpg"), _files, NullLogger.Instance);
        var e = await Assert.ThrowsAsync<RtspException>(() => session.StartAsync(CancellationToken.None));
        Assert.Equal(RtspFailure.NotFound, e.Failure);
        Assert.True(e.IsPermanent);
        Assert.Contains("404", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"{clock.Elapsed}");
    }

    [Fact]
    public async Task An_HTTP_503_is_a_rejected_request_that_says_the_status()
    {
        await using var server = new TestHttpServer((_, s, c) => TestHttpServer.RespondAsync(s, 503, "Service Unavailable", "text/plain", "busy"u8.ToArray(), c));
        await using var session = CameraSessions.Session(server.Url("/live.ts"), _files, NullLogger.Instance);
        var e = await Assert.ThrowsAsync<RtspException>(() => session.StartAsync(CancellationToken.None));
        Assert.Equal(RtspFailure.RequestRejected, e.Failure);
        Assert.True(e.Message.Contains("503"), e.Message);
    }

    [Fact]
    public async Task A_refused_port_fails_as_ConnectionRefused_within_seconds()
    {
        var clock = Stopwatch.StartNew();
        await using var session = CameraSessions.Session($"http://127.0.0.1:{FreePorts.Tcp()}/live.ts", _files, NullLogger.Instance);
        var e = await Assert.ThrowsAsync<RtspException>(() => session.StartAsync(CancellationToken.None));
        Assert.Equal(RtspFailure.ConnectionRefused, e.Failure);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"{clock.Elapsed}");
    }

    [Fact]
    public async Task A_host_that_does_not_resolve_fails_as_HostUnreachable()
    {
        await using var session = CameraSessions.Session("http://camera.invalid/mjpg/video.mjpg", _files, NullLogger.Instance);
        var e = await Assert.ThrowsAsync<RtspException>(() => session.StartAsync(CancellationToken.None));
        Assert.Equal(RtspFailure.HostUnreachable, e.Failure);
        Assert.Contains("camera.invalid", e.Message);
    }

    [Fact]
    public async Task A_stream_that_stalls_fails_as_NoData_after_the_stall_timeout()
    {
        var ts = await MakeAsync("stall.ts", $"{TestPicture} -t 1 -c:v libx264 -preset veryfast -g 25 -bf 0 -pix_fmt yuv420p -f mpegts");
        var bytes = await File.ReadAllBytesAsync(ts);
        await using var server = new TestHttpServer(async (_, s, c) =>
        {
            await s.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nConnection: close\r\n\r\n"), c);
            await s.WriteAsync(bytes, c);
            await Task.Delay(Timeout.Infinite, c); // the connection stays open, silent
        });
        await using var session = new MediaInputSession(new MediaInputSessionOptions { Uri = server.Url("/live.ts"), Url = server.Url("/live.ts"), StallTimeout = TimeSpan.FromSeconds(1) }, NullLogger.Instance);
        await session.StartAsync(CancellationToken.None);
        var clock = Stopwatch.StartNew();
        var frames = 0;
        session.FrameReceived += (_, _, _) => frames++;
        var e = await Assert.ThrowsAsync<RtspException>(async () =>
        {
            await session.RunAsync(CancellationToken.None);
            throw new InvalidOperationException($"returned after {frames} frames, {clock.Elapsed}, {session.Info}");
        });
        Assert.Equal(RtspFailure.NoData, e.Failure);
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.5, 4); // one second of video, then one of silence
    }

    [Fact]
    public async Task Cancelling_a_session_stops_its_reading_thread_at_once()
    {
        var path = await MakeAsync("long.mp4", $"{TestPicture} -t 10 -c:v libx264 -preset veryfast -g 25 -bf 0 -pix_fmt yuv420p");
        await using var session = CameraSessions.Session("file://" + path, _files, NullLogger.Instance);
        await session.StartAsync(CancellationToken.None);
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var clock = Stopwatch.StartNew();
        await session.RunAsync(stop.Token);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.4, 1.5);
    }

    [Fact]
    public async Task A_file_that_is_not_media_fails_as_UnreadableMedia()
    {
        var text = Path.Combine(_dir.FullName, "readme.txt");
        await File.WriteAllTextAsync(text, string.Concat(Enumerable.Repeat("not a video\n", 500)));
        await using var session = Session(text);
        var e = await Assert.ThrowsAsync<RtspException>(() => session.StartAsync(CancellationToken.None));
        Assert.Equal(RtspFailure.UnreadableMedia, e.Failure);
        Assert.True(e.IsPermanent);
    }

    [Fact]
    public async Task A_file_in_no_codec_Sightline_takes_fails_as_UnsupportedCodec_naming_it()
    {
        var path = await MakeAsync("vp9.webm", $"{TestPicture} -t 1 -c:v libvpx-vp9 -deadline realtime -b:v 300k");
        await using var session = Session(path);
        var e = await Assert.ThrowsAsync<RtspException>(() => session.StartAsync(CancellationToken.None));
        Assert.Equal(RtspFailure.UnsupportedCodec, e.Failure);
        Assert.Contains("video vp9", e.Message);
    }

    [Fact]
    public async Task A_file_outside_the_folder_never_opens()
    {
        await using var session = CameraSessions.Session("file:///etc/passwd", _files, NullLogger.Instance);
        var e = await Assert.ThrowsAsync<RtspException>(() => session.StartAsync(CancellationToken.None));
        Assert.Equal(RtspFailure.UnreadableMedia, e.Failure);
        Assert.Contains("outside the folder", e.Message);
    }
}
