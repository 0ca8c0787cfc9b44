using Sightline.Server.Cli;
using Sightline.TestKit;
using Xunit.Abstractions;

namespace Sightline.Server.Tests.Cli;

[Trait("Category", "Interop")]
public class ProbeCommandTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Probe_DescribesTheFixtureCamera()
    {
        await using var camera = await CameraProcess.StartAsync("--codec h264-high --audio aac --width 1280 --height 720 --gop 50 --auth digest --user admin --password s3cret");
        var text = new StringWriter();
        var uri = camera.Url.Replace("rtsp://", "rtsp://admin:s3cret@", StringComparison.Ordinal);
        var code = await ProbeCommand.RunAsync([uri, "--seconds", "3"], text, CancellationToken.None);
        var printed = text.ToString();
        output.WriteLine(printed);
        Assert.Equal(0, code);
        Assert.DoesNotContain("s3cret", printed);
        Assert.Contains("rtsp://admin:***@", printed);
        Assert.Contains("video H.264", printed);
        Assert.Contains("resolution:     1280x720", printed);
        Assert.Contains("profile:        High", printed);
        Assert.Contains("(25 per second)", printed);
        Assert.Contains("every 50 frames (2 s)", printed);
        Assert.Contains("audio AAC", printed);
        Assert.Contains("48000 Hz, 1 channel(s)", printed);
        Assert.Contains("first keyframe:", printed);
        Assert.Contains("B-frames:       no (SPS VUI max_num_reorder_frames=0)", printed);
    }

    [Fact]
    public async Task Probe_says_a_B_frame_camera_reorders_and_is_re_encoded_for_browsers()
    {
        await using var camera = await CameraProcess.StartAsync("--codec h264-bframes --width 320 --height 240");
        var text = new StringWriter();
        var code = await ProbeCommand.RunAsync([camera.Url, "--seconds", "3"], text, CancellationToken.None);
        var printed = text.ToString();
        output.WriteLine(printed);
        Assert.Equal(0, code);
        Assert.Contains("profile:        Main", printed);
        Assert.Contains("(25 per second)", printed); // from the presentation times, not those of the last frame decoded
        Assert.Contains("B-frames:       yes (SPS VUI max_num_reorder_frames=2, 2 frame(s) held back); browsers get a re-encoded version", printed);
    }

    [Fact]
    public async Task Probe_ExplainsFailuresInPlainWords()
    {
        var text = new StringWriter();
        var code = await ProbeCommand.RunAsync([$"rtsp://127.0.0.1:{FreePorts.Tcp()}/cam"], text, CancellationToken.None);
        Assert.Equal(1, code);
        Assert.Contains("Error (ConnectionRefused): the camera at 127.0.0.1:", text.ToString());
        Assert.Contains("refused the connection", text.ToString());
        Assert.Equal(2, await ProbeCommand.RunAsync([], new StringWriter(), CancellationToken.None));
    }
}

/// <summary><c>sightline probe</c> on file and HTTP cameras (libavformat): what they send, or why they do not play.</summary>
public sealed class ProbeMediaInputTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sightline-probe-");

    public void Dispose() => _dir.Delete(true);

    private async Task<(int Code, string Text)> ProbeAsync(params string[] args)
    {
        var text = new StringWriter();
        var code = await ProbeCommand.RunAsync(args, text, CancellationToken.None);
        output.WriteLine(text.ToString());
        return (code, text.ToString());
    }

    [Fact]
    public async Task Probe_describes_an_MP4_file_played_in_a_loop()
    {
        var path = Path.Combine(_dir.FullName, "lobby.mp4");
        await MediaFiles.RunFfmpegAsync($"-f lavfi -i testsrc=size=640x360:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 1 -c:v libx264 -preset veryfast -g 25 -bf 0 -pix_fmt yuv420p -c:a aac -shortest \"{path}\"");
        var (code, text) = await ProbeAsync("file://" + path, "--seconds", "2");
        Assert.Equal(0, code);
        Assert.Contains("over FILE: mov,mp4", text);
        Assert.Contains("a 1 s file, played in a loop", text);
        Assert.Contains("video H.264 (FFmpeg codec h264, clock 90000 Hz)", text);
        Assert.Contains("resolution:     640x360", text);
        Assert.Contains("(25 per second)", text);
        Assert.Contains("every 25 frames (1 s)", text);
        Assert.Contains("audio AAC (FFmpeg codec aac, clock 48000 Hz)", text);
    }

    [Fact]
    public async Task Probe_says_an_HTTP_404_and_masks_the_password()
    {
        await using var server = new TestHttpServer((_, s, c) => TestHttpServer.RespondAsync(s, 404, "Not Found", "text/plain", "no"u8.ToArray(), c));
        var (code, text) = await ProbeAsync(server.Url("/mjpg/video.mjpg").Replace("http://", "http://admin:s3cret@", StringComparison.Ordinal), "--seconds", "1");
        Assert.Equal(1, code);
        Assert.Contains("Error (NotFound): the server has no stream at this path (HTTP 404)", text);
        Assert.Contains("http://admin:***@", text);
        Assert.DoesNotContain("s3cret", text);
    }

    [Fact]
    public async Task Probe_says_a_refused_port_and_a_file_that_is_no_media()
    {
        var (code, text) = await ProbeAsync($"https://127.0.0.1:{FreePorts.Tcp()}/live.ts");
        Assert.Equal(1, code);
        Assert.Contains("Error (ConnectionRefused): the camera at 127.0.0.1:", text);

        var notes = Path.Combine(_dir.FullName, "notes.txt");
        await File.WriteAllTextAsync(notes, string.Concat(Enumerable.Repeat("not a video\n", 300)));
        (code, text) = await ProbeAsync("file://" + notes);
        Assert.Equal(1, code);
        Assert.Contains("Error (UnreadableMedia): the file is not", text);
    }
}
