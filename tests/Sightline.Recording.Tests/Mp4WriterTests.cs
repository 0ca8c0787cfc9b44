using System.Buffers.Binary;
using System.Globalization;
using Sightline.Recording.Containers;
using Sightline.Rtp.Packetization;
using Sightline.TestKit;

namespace Sightline.Recording.Tests;

public sealed class Mp4WriterTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sightline-mp4-");

    public void Dispose() => _dir.Delete(true);

    /// <summary>SPS and PPS of a length-prefixed keyframe.</summary>
    internal static List<byte[]> ParameterSets(byte[] accessUnit)
    {
        var sets = new List<byte[]>();
        for (var o = 0; o + 4 <= accessUnit.Length;)
        {
            var n = (int)BinaryPrimitives.ReadUInt32BigEndian(accessUnit.AsSpan(o));
            var nal = accessUnit.AsSpan(o + 4, n);
            if ((nal[0] & 0x1f) is 7 or 8) sets.Add(nal.ToArray());
            o += 4 + n;
        }
        return sets;
    }

    private static double Number(string text) => double.Parse(text.Trim().TrimEnd(','), CultureInfo.InvariantCulture);

    [Fact]
    public async Task H264_IsStoredAsIs_AndFfprobeReadsCodecSizeFramesAndDuration()
    {
        var frames = await MediaFiles.H264Async(_dir.FullName, 640, 480, 25, 6, profile: "high");
        var path = Path.Combine(_dir.FullName, "out.mp4");
        using (var file = File.Create(path))
        using (var mp4 = new Mp4Writer(file, [new Mp4Track(MediaCodec.H264, 90000, 640, 480, ParameterSets(frames[0].Data))]))
        {
            for (var i = 0; i < frames.Count; i++) mp4.Write(0, frames[i].Data, i * 3600L, frames[i].Keyframe);
            mp4.Finish();
            Assert.InRange(mp4.Fragments, 3, 7); // a fragment per second (keyframe every second), at most 2 s each
        }
        var info = await Ffprobe.VideoStreamAsync(path);
        Assert.Equal(("h264", "High", 640, 480), (info.Codec, info.Profile, info.Width, info.Height));
        var (count, _) = await Ffprobe.CountVideoFramesAsync(path, "", TimeSpan.FromSeconds(30));
        Assert.Equal(frames.Count, count);
        var duration = Number(await Ffprobe.RunAsync($"-v error -show_entries format=duration -of csv=p=0 \"{path}\""));
        Assert.InRange(duration, 5.9, 6.1);
        // The samples are the camera's bytes: ffmpeg copies the stream out bit-exact.
        var copy = Path.Combine(_dir.FullName, "copy.h264");
        await MediaFiles.RunFfmpegAsync($"-i \"{path}\" -c copy -bsf:v h264_mp4toannexb -f h264 \"{copy}\"");
        Assert.True(new FileInfo(copy).Length >= frames.Sum(f => f.Data.Length) - frames.Count * 8);
    }

    [Fact]
    public async Task FileCutAtAnyPoint_PlaysUpToItsLastWholeFragment()
    {
        var frames = await MediaFiles.H264Async(_dir.FullName, 320, 240, 25, 8);
        var path = Path.Combine(_dir.FullName, "crashed.mp4");
        long afterFiveSeconds = 0;
        using (var file = File.Create(path))
        using (var mp4 = new Mp4Writer(file, [new Mp4Track(MediaCodec.H264, 90000, 320, 240, ParameterSets(frames[0].Data))]))
        {
            for (var i = 0; i < frames.Count; i++)
            {
                mp4.Write(0, frames[i].Data, i * 3600L, frames[i].Keyframe);
                if (i == 5 * 25 + 10) afterFiveSeconds = file.Length; // what was on disk 5.4 s in
            }
            // No Finish(): as if the process died; and then cut the file in the middle of a fragment too.
        }
        var cut = Path.Combine(_dir.FullName, "cut.mp4");
        File.WriteAllBytes(cut, File.ReadAllBytes(path)[..(int)(afterFiveSeconds + 777)]);
        var (count, _) = await Ffprobe.CountVideoFramesAsync(cut, "", TimeSpan.FromSeconds(30));
        // Everything up to the last fragment written before 5.4 s: at least 4 s of the 5.4 (fragments are ≤ 2 s).
        Assert.InRange(count, 4 * 25, 5 * 25 + 11);
        var decoded = await Ffprobe.RunAsync($"-v error -select_streams v:0 -show_entries frame=pts_time -of csv=p=0 \"{cut}\"");
        var last = decoded.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Number).Max();
        Assert.True(last >= 3.9, $"last decoded frame at {last} s");
        // Read back without ffprobe (how a recording a crash cut short is finished): whole fragments only.
        var info = MediaFileInfo.Read(cut)!;
        Assert.True(info.HasVideo && !info.HasAudio);
        Assert.InRange(info.DurationSeconds, 4.0, 5.41);
        Assert.InRange(info.DurationSeconds, last, last + 0.05);
        // The uncut file of the "dead" writer: every fragment but the last second, which was still in memory.
        Assert.InRange(MediaFileInfo.Read(path)!.DurationSeconds, 6.99, 7.01);
    }

    [Fact]
    public async Task H264WithAacAudio_BothTracksPlay()
    {
        var frames = await MediaFiles.H264Async(_dir.FullName, 320, 240, 25, 3);
        var aac = Path.Combine(_dir.FullName, "a.aac");
        await MediaFiles.RunFfmpegAsync($"-f lavfi -i sine=frequency=440:sample_rate=48000:duration=3 -ac 1 -c:a aac -b:a 64k -f adts \"{aac}\"");
        var adts = File.ReadAllBytes(aac);
        var audio = new List<byte[]>();
        for (var i = 0; i + 7 <= adts.Length;)
        {
            var length = (adts[i + 3] & 3) << 11 | adts[i + 4] << 3 | adts[i + 5] >> 5;
            audio.Add(adts[(i + 7)..(i + length)]);
            i += length;
        }
        var path = Path.Combine(_dir.FullName, "av.mp4");
        using (var file = File.Create(path))
        using (var mp4 = new Mp4Writer(file, [
            new Mp4Track(MediaCodec.H264, 90000, 320, 240, ParameterSets(frames[0].Data)),
            new Mp4Track(MediaCodec.AAC, 48000, AudioConfig: [0x11, 0x88], Channels: 1, SampleRate: 48000)]))
        {
            var a = 0;
            for (var i = 0; i < frames.Count; i++)
            {
                mp4.Write(0, frames[i].Data, i * 3600L, frames[i].Keyframe);
                for (; a < audio.Count && a * 1024L * 90000 / 48000 <= i * 3600L; a++) mp4.Write(1, audio[a], a * 1024L, true);
            }
            for (; a < audio.Count; a++) mp4.Write(1, audio[a], a * 1024L, true);
            mp4.Finish();
        }
        var streams = await Ffprobe.RunAsync($"-v error -show_entries stream=codec_name,sample_rate -of csv=p=0 \"{path}\"");
        Assert.Contains("h264", streams);
        Assert.Contains("aac,48000", streams);
        // ffmpeg decodes the audio without errors.
        var packets = await Ffprobe.RunAsync($"-v error -select_streams a:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 \"{path}\"");
        Assert.InRange(int.Parse(packets.Trim().TrimEnd(','), CultureInfo.InvariantCulture), audio.Count - 2, audio.Count);
    }

    [Fact]
    public async Task H264_with_B_frames_keeps_presentation_times_as_composition_offsets_8_8_8()
    {
        // libx264 Main with 3 B-frames (b-pyramid): decode order with presentation times going back, as a camera sends.
        var frames = await MediaFiles.EncodeWithPresentationTimesAsync(_dir.FullName, "bframes", "-c:v libx264 -preset veryfast -profile:v main -bf 3 -g 25", seconds: 6);
        Assert.Contains(frames.Zip(frames.Skip(1)), p => p.Second.Pts < p.First.Pts);
        var detector = Sightline.Rtp.Codecs.ReorderDetector.ForH264();
        detector.Feed(frames[0].Frame.Data);
        Assert.Equal(2, detector.Current.Depth);

        var timeline = new Sightline.Recording.Individual.DecodeTimeline(detector.Current.Depth, 3600);
        var path = Path.Combine(_dir.FullName, "bframes-out.mp4");
        using (var file = File.Create(path))
        using (var mp4 = new Mp4Writer(file, [new Mp4Track(MediaCodec.H264, 90000, 320, 240, ParameterSets(frames[0].Frame.Data))]))
        {
            foreach (var (frame, pts) in frames)
            {
                var shown = pts + timeline.Lead;
                mp4.Write(0, frame.Data, timeline.Next(shown), shown, frame.Keyframe);
            }
            mp4.Finish();
        }

        var stream = await Ffprobe.RunAsync($"-v error -select_streams v:0 -show_entries stream=has_b_frames,profile -of default=nw=1 \"{path}\"");
        Assert.Contains("profile=Main", stream);
        Assert.True(int.Parse(stream.Split('\n').First(l => l.StartsWith("has_b_frames=", StringComparison.Ordinal))[13..], CultureInfo.InvariantCulture) > 0, stream);
        // Every packet keeps the camera's presentation time (plus the lead), and decodes no later than it is shown.
        var packets = (await Ffprobe.RunAsync($"-v error -select_streams v:0 -show_entries packet=pts,dts -of csv=p=0 \"{path}\""))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim().TrimEnd(',').Split(',').Select(long.Parse).ToArray()).ToList();
        Assert.Equal(frames.Select(f => f.Pts + 2 * 3600), packets.Select(p => p[0]));
        Assert.All(packets, p => Assert.True(p[1] <= p[0], $"dts {p[1]} > pts {p[0]}"));
        // Decoded, frames come out in presentation order, every one of them, without a decoder error.
        var shownTimes = (await Ffprobe.RunAsync($"-v error -select_streams v:0 -show_entries frame=pts -of csv=p=0 \"{path}\""))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => long.Parse(l.Trim().TrimEnd(','), CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(frames.Count, shownTimes.Count);
        Assert.All(shownTimes.Zip(shownTimes.Skip(1)), p => Assert.True(p.Second > p.First, $"{p.Second} after {p.First}"));
        Assert.Equal("", await MediaFiles.DecodeErrorsAsync(path));
        Assert.InRange(MediaFileInfo.Read(path)!.DurationSeconds, 5.95, 6.05);
    }

    [Fact]
    public async Task H264_with_B_frames_cut_by_a_crash_reads_back_and_decodes_up_to_its_last_fragment()
    {
        var frames = await MediaFiles.EncodeWithPresentationTimesAsync(_dir.FullName, "bframes-cut", "-c:v libx264 -preset veryfast -profile:v main -bf 3 -g 25", seconds: 5);
        var timeline = new Sightline.Recording.Individual.DecodeTimeline(2, 3600);
        var path = Path.Combine(_dir.FullName, "bframes-crashed.mp4");
        using (var file = File.Create(path))
        using (var mp4 = new Mp4Writer(file, [new Mp4Track(MediaCodec.H264, 90000, 320, 240, ParameterSets(frames[0].Frame.Data))]))
        {
            foreach (var (frame, pts) in frames)
            {
                var shown = pts + timeline.Lead;
                mp4.Write(0, frame.Data, timeline.Next(shown), shown, frame.Keyframe);
            }
            // No Finish(): the process died.
        }
        // The dead writer's file: whole fragments only (the last second was still in memory); they decode cleanly.
        var info = MediaFileInfo.Read(path)!;
        Assert.InRange(info.DurationSeconds, 2.99, 4.01);
        Assert.Equal("", await MediaFiles.DecodeErrorsAsync(path));
        var (count, _) = await Ffprobe.CountVideoFramesAsync(path, "", TimeSpan.FromSeconds(30));
        Assert.Equal((int)Math.Round(info.DurationSeconds * 25), count);
        // Cut inside its last fragment too: read back up to the fragment before.
        var bytes = File.ReadAllBytes(path);
        var cut = Path.Combine(_dir.FullName, "bframes-cut-short.mp4");
        File.WriteAllBytes(cut, bytes[..(bytes.Length - 500)]);
        Assert.InRange(MediaFileInfo.Read(cut)!.DurationSeconds, 1.99, info.DurationSeconds - 0.99);
    }
}
