using Sightline.TestKit;

namespace Sightline.Rtsp.Tests.Quirks;

/// <summary>The media the fake camera plays in the quirk tests, made once by ffmpeg (about a second of encoding).</summary>
public sealed class QuirkMedia : IAsyncLifetime
{
    public const int Fps = 25;

    private DirectoryInfo _dir = null!;

    /// <summary>640x480, 2 s, a keyframe each second, an access-unit delimiter in front of every unit.</summary>
    public List<H264Unit> Vga { get; private set; } = null!;
    /// <summary>As <see cref="Vga"/> plus buffering-period and picture-timing SEI (x264 <c>nal-hrd=vbr</c>).</summary>
    public List<H264Unit> VgaWithSei { get; private set; } = null!;
    /// <summary>As <see cref="Vga"/> with four slices per picture.</summary>
    public List<H264Unit> VgaSliced { get; private set; } = null!;
    /// <summary>320x240, 1 s: what a camera sends after its size was changed.</summary>
    public List<H264Unit> Qvga { get; private set; } = null!;
    public List<byte[]> Aac { get; private set; } = null!;
    public byte[] AacConfig { get; private set; } = null!;
    public const int AacRate = 16000;

    public async Task InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("sightline-quirks-");
        var vga = CameraMedia.H264Async(_dir.FullName, 640, 480, Fps, 2);
        var sei = CameraMedia.H264Async(_dir.FullName, 640, 480, Fps, 2, "nal-hrd=vbr");
        var sliced = CameraMedia.H264Async(_dir.FullName, 640, 480, Fps, 2, "slices=4");
        var qvga = CameraMedia.H264Async(_dir.FullName, 320, 240, Fps, 1);
        var aac = CameraMedia.AacAsync(_dir.FullName, AacRate, 2);
        Vga = await vga;
        VgaWithSei = await sei;
        VgaSliced = await sliced;
        Qvga = await qvga;
        (Aac, AacConfig) = await aac;
    }

    public Task DisposeAsync()
    {
        _dir.Delete(true);
        return Task.CompletedTask;
    }
}
