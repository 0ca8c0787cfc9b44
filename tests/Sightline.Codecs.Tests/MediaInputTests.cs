using System.Diagnostics;
using System.Text;
using Sightline.TestKit;

namespace Sightline.Codecs.Tests;

/// <summary>The libavformat input against files made by ffmpeg at test time and small HTTP servers that misbehave.</summary>
public sealed class MediaInputTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string> NoOptions = [];
    private DirectoryInfo _dir = null!;
    private string _mp4 = null!;

    public async Task InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("sightline-input-");
        _mp4 = Path.Combine(_dir.FullName, "camera.mp4");
        await MediaFiles.RunFfmpegAsync($"-f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 2 -c:v libx264 -preset veryfast -g 25 -bf 0 -pix_fmt yuv420p -c:a aac -shortest \"{_mp4}\"");
    }

    public Task DisposeAsync()
    {
        _dir.Delete(true);
        return Task.CompletedTask;
    }

    [Fact]
    public void Describes_an_MP4_with_its_H264_and_AAC_streams()
    {
        using var input = new MediaInput();
        input.Open("file:" + _mp4, NoOptions, TimeSpan.FromSeconds(5));
        Assert.Contains("mp4", input.Info.Format);
        Assert.True(input.Info.Seekable);
        Assert.True(input.Info.HasTimestamps);
        Assert.InRange(input.Info.Duration!.Value.TotalSeconds, 1.9, 2.1);
        var video = Assert.Single(input.Streams, s => s.Kind == MediaKind.Video);
        Assert.Equal(("h264", 320, 240), (video.Codec, video.Width, video.Height));
        Assert.Equal(1, video.Extradata[0]); // avcC (ISO 14496-15 §5.3.3.1), configurationVersion 1
        Assert.Equal(25.0, video.FrameRate!.Value, 3);
        var audio = Assert.Single(input.Streams, s => s.Kind == MediaKind.Audio);
        Assert.Equal(("aac", 48000, 1), (audio.Codec, audio.SampleRate, audio.Channels));
        Assert.Equal(2, audio.Extradata[0] >> 3); // AudioSpecificConfig (ISO 14496-3 §1.6.2.1): object type 2, AAC-LC
    }

    [Fact]
    public void Reads_every_packet_in_order_then_reports_the_end_and_rewinds_to_the_first_keyframe()
    {
        using var input = new MediaInput();
        input.Open("file:" + _mp4, NoOptions, TimeSpan.FromSeconds(5));
        var video = input.Streams.First(s => s.Kind == MediaKind.Video).Index;
        var frames = 0;
        var keyframes = 0;
        long last = -1;
        while (input.TryRead(TimeSpan.FromSeconds(5), out var packet))
        {
            if (packet.Stream != video) continue;
            if (frames == 0) Assert.True(packet.Keyframe, "the first video packet is a keyframe");
            Assert.True(packet.Pts > last, "no B-frames: presentation order is decode order");
            last = packet.Pts!.Value;
            frames++;
            if (packet.Keyframe) keyframes++;
            Assert.False(packet.Data.IsEmpty);
        }
        Assert.Equal(50, frames);
        Assert.Equal(2, keyframes);

        input.Rewind(TimeSpan.FromSeconds(5));
        MediaPacket first;
        do Assert.True(input.TryRead(TimeSpan.FromSeconds(5), out first));
        while (first.Stream != video);
        Assert.True(first.Keyframe);
        Assert.Equal(0, first.Pts);
    }

    [Fact]
    public void A_missing_file_is_NotFound()
    {
        using var input = new MediaInput();
        var e = Assert.Throws<MediaInputException>(() => input.Open("file:" + Path.Combine(_dir.FullName, "nothing.mp4"), NoOptions, TimeSpan.FromSeconds(5)));
        Assert.Equal(MediaInputFailure.NotFound, e.Failure);
    }

    [Fact]
    public void A_file_that_is_not_media_is_InvalidData()
    {
        var noise = Path.Combine(_dir.FullName, "noise.mp4");
        File.WriteAllBytes(noise, Enumerable.Range(0, 64 * 1024).Select(i => (byte)(i * 7919 >> 3)).ToArray());
        using var input = new MediaInput();
        var e = Assert.Throws<MediaInputException>(() => input.Open("file:" + noise, new Dictionary<string, string> { ["format_whitelist"] = "mov,mp4,matroska,mpegts" }, TimeSpan.FromSeconds(5)));
        Assert.Equal(MediaInputFailure.InvalidData, e.Failure);
    }

    [Fact]
    public void A_text_file_probes_as_text_unless_the_formats_are_restricted()
    {
        // FFmpeg's "tty" demuxer reads any text as a picture: why camera files get a format whitelist.
        var text = Path.Combine(_dir.FullName, "notes.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("these are not the frames you are looking for\n", 200)));
        using (var open = new MediaInput())
        {
            open.Open("file:" + text, NoOptions, TimeSpan.FromSeconds(5));
            Assert.Equal("tty", open.Info.Format);
        }
        using var input = new MediaInput();
        var e = Assert.Throws<MediaInputException>(() => input.Open("file:" + text, new Dictionary<string, string> { ["format_whitelist"] = "mov,mp4,matroska,mpegts" }, TimeSpan.FromSeconds(5)));
        Assert.Equal(MediaInputFailure.Invalid, e.Failure);
        Assert.Contains("whitelist", e.Message);
    }

    [Fact]
    public void A_format_off_the_whitelist_is_refused()
    {
        var playlist = Path.Combine(_dir.FullName, "list.m3u8");
        File.WriteAllText(playlist, "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\ncamera.mp4\n#EXT-X-ENDLIST\n");
        using var input = new MediaInput();
        var e = Assert.Throws<MediaInputException>(() => input.Open("file:" + playlist, new Dictionary<string, string> { ["format_whitelist"] = "mov,mp4,mpegts" }, TimeSpan.FromSeconds(5)));
        Assert.Equal(MediaInputFailure.Invalid, e.Failure);
        Assert.Contains("whitelist", e.Message);
    }

    [Fact]
    public async Task An_HTTP_404_is_NotFound_within_seconds()
    {
        await using var server = new TestHttpServer((_, s, c) => TestHttpServer.RespondAsync(s, 404, "Not Found", "text/plain", Encoding.ASCII.GetBytes("no camera here"), c));
        using var input = new MediaInput();
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<MediaInputException>(() => input.Open(server.Url("/mjpg/video.mjpg"), NoOptions, TimeSpan.FromSeconds(5)));
        Assert.Equal(MediaInputFailure.NotFound, e.Failure);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"{clock.Elapsed}");
    }

    [Fact]
    public void A_refused_port_is_ConnectionRefused()
    {
        using var input = new MediaInput();
        var e = Assert.Throws<MediaInputException>(() => input.Open($"http://127.0.0.1:{FreePorts.Tcp()}/video.ts", NoOptions, TimeSpan.FromSeconds(5)));
        Assert.Equal(MediaInputFailure.ConnectionRefused, e.Failure);
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out_at_the_deadline()
    {
        await using var server = new TestHttpServer((_, _, c) => Task.Delay(Timeout.Infinite, c));
        using var input = new MediaInput();
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<MediaInputException>(() => input.Open(server.Url("/live.ts"), NoOptions, TimeSpan.FromSeconds(1)));
        Assert.Equal(MediaInputFailure.Timeout, e.Failure);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 2.5);
    }

    [Fact]
    public async Task Interrupt_cancels_a_blocking_open_from_another_thread()
    {
        await using var server = new TestHttpServer((_, _, c) => Task.Delay(Timeout.Infinite, c));
        using var input = new MediaInput();
        var clock = Stopwatch.StartNew();
        var open = Task.Run(() => input.Open(server.Url("/live.ts"), NoOptions, TimeSpan.FromSeconds(30)));
        await Task.Delay(300);
        input.Interrupt();
        var e = await Assert.ThrowsAsync<MediaInputException>(() => open);
        Assert.Equal(MediaInputFailure.Cancelled, e.Failure);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"{clock.Elapsed}");
    }
}
