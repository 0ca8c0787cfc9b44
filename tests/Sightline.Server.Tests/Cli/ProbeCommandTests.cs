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
