using System.Globalization;
using Sightline.Recording.Containers;
using Sightline.Rtp.Packetization;
using Sightline.TestKit;

namespace Sightline.Recording.Tests;

public sealed class WebmAndMjpegTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sightline-webm-");

    public void Dispose() => _dir.Delete(true);

    private static double Number(string text) => double.Parse(text.Trim().TrimEnd(','), CultureInfo.InvariantCulture);

    [Fact]
    public async Task Vp8_GoesIntoWebmAsIs_AndACutFilePlaysToItsLastCluster()
    {
        var frames = await MediaFiles.Vp8Async(_dir.FullName, 320, 240, 25, 6);
        var path = Path.Combine(_dir.FullName, "cam.webm");
        long atFourSeconds = 0;
        using (var file = File.Create(path))
        using (var webm = new WebmWriter(file, [new Mp4Track(MediaCodec.VP8, 90000, 320, 240)]))
        {
            for (var i = 0; i < frames.Count; i++)
            {
                webm.Write(0, frames[i].Data, i * 3600L, frames[i].Keyframe);
                if (i == 100) atFourSeconds = file.Length;
            }
            webm.Finish();
        }
        var info = await Ffprobe.VideoStreamAsync(path);
        Assert.Equal(("vp8", 320, 240), (info.Codec, info.Width, info.Height));
        var (count, _) = await Ffprobe.CountVideoFramesAsync(path, "", TimeSpan.FromSeconds(30));
        Assert.Equal(frames.Count, count);
        var duration = Number(await Ffprobe.RunAsync($"-v error -show_entries format=duration -of csv=p=0 \"{path}\""));
        Assert.InRange(duration, 5.9, 6.1);
        // Cut as by a crash 4 s in (plus half a cluster): what was flushed plays.
        var cut = Path.Combine(_dir.FullName, "cut.webm");
        File.WriteAllBytes(cut, File.ReadAllBytes(path)[..(int)(atFourSeconds + 500)]);
        var (cutCount, _) = await Ffprobe.CountVideoFramesAsync(cut, "", TimeSpan.FromSeconds(30));
        Assert.InRange(cutCount, 2 * 25, 101);
        var read = MediaFileInfo.Read(cut)!;
        Assert.True(read.HasVideo && !read.HasAudio);
        Assert.InRange(read.DurationSeconds, (cutCount - 1) / 25.0, cutCount / 25.0 + 0.05);
        Assert.InRange(MediaFileInfo.Read(path)!.DurationSeconds, 5.95, 6.05);
    }

    [Fact]
    public async Task Mjpeg_GoesIntoMp4AsIs()
    {
        var stream = Path.Combine(_dir.FullName, "cam.mjpeg");
        await MediaFiles.RunFfmpegAsync($"-f lavfi -i testsrc=size=320x240:rate=10 -t 2 -c:v mjpeg -q:v 5 -f mjpeg \"{stream}\"");
        var data = await File.ReadAllBytesAsync(stream);
        var starts = new List<int>();
        for (var i = 0; i + 2 < data.Length; i++)
        {
            if (data[i] == 0xFF && data[i + 1] == 0xD8 && data[i + 2] == 0xFF) starts.Add(i);
        }
        var path = Path.Combine(_dir.FullName, "cam.mp4");
        using (var file = File.Create(path))
        using (var mp4 = new Mp4Writer(file, [new Mp4Track(MediaCodec.MJPEG, 90000, 320, 240)]))
        {
            for (var k = 0; k < starts.Count; k++)
            {
                var end = k + 1 < starts.Count ? starts[k + 1] : data.Length;
                mp4.Write(0, data.AsSpan(starts[k], end - starts[k]), k * 9000L, true);
            }
            mp4.Finish();
        }
        var info = await Ffprobe.VideoStreamAsync(path);
        Assert.Equal(("mjpeg", 320, 240), (info.Codec, info.Width, info.Height));
        var (count, _) = await Ffprobe.CountVideoFramesAsync(path, "", TimeSpan.FromSeconds(30));
        Assert.Equal(starts.Count, count);
    }
}
