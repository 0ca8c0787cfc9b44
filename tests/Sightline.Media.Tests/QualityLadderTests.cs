using System.Buffers.Binary;
using Sightline.Codecs;
using Sightline.Media.Transcoding;
using Sightline.Rtp.Packetization;
using Sightline.TestKit;

namespace Sightline.Media.Tests;

public sealed class QualityLadderTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sightline-ladder-");

    public void Dispose() => _dir.Delete(true);

    /// <summary>Joins a packetized H.264 frame (single NAL units, STAP-A, FU-A as our packetizer makes them) into Annex B.</summary>
    private static byte[] Reassemble(PacketizedFrame frame)
    {
        using var au = new MemoryStream();
        for (var i = 0; i < frame.Payloads.Length; i++)
        {
            var p = frame.Payload(i);
            var type = p[0] & 0x1f;
            if (type == 24)
            {
                for (var o = 1; o + 2 <= p.Length;)
                {
                    var n = BinaryPrimitives.ReadUInt16BigEndian(p[o..]);
                    au.Write([0, 0, 0, 1]);
                    au.Write(p.Slice(o + 2, n));
                    o += 2 + n;
                }
            }
            else if (type == 28)
            {
                if ((p[1] & 0x80) != 0)
                {
                    au.Write([0, 0, 0, 1]);
                    au.WriteByte((byte)(p[0] & 0xe0 | p[1] & 0x1f));
                }
                au.Write(p[2..]);
            }
            else
            {
                au.Write([0, 0, 0, 1]);
                au.Write(p);
            }
        }
        return au.ToArray();
    }

    private static (int Width, int Height) DecodedSize(VideoDecoder decoder, byte[] annexB)
    {
        var size = (0, 0);
        decoder.Decode(annexB, 0, (in Picture p) => size = (p.Width, p.Height));
        return size;
    }

    [Fact]
    public async Task H264Camera_HalfAndQuarterRungs_AreDecodableAtTheirSizes_AndOnlyWantedRungsRun()
    {
        var frames = await MediaFiles.H264Async(_dir.FullName, 1280, 720, 25, 4, noise: true);
        using var ladder = new QualityLadder(MediaCodec.H264, new LadderOptions(MinBitrate: 300_000, MaxBitrate: 1_000_000));
        ladder.CameraBitrate = 1_500_000;
        using var half = new VideoDecoder("h264");
        using var quarter = new VideoDecoder("h264");
        var outputs = new PacketizedFrame?[QualityLadder.LayerCount];
        var sizes = new HashSet<(int, int)>[] { [], [], [] };
        long quarterBytes = 0;
        uint timestamp = 0;
        var first = true;
        foreach (var f in frames)
        {
            const int wanted = 0b110; // half and quarter
            ladder.Process(new EncodedFrame { Codec = MediaCodec.H264, Data = f.Data, RtpTimestamp = timestamp, IsKeyframe = f.Keyframe }, wanted, outputs);
            Assert.Null(outputs[0]); // the top rung is the camera's own stream: never encoded
            if (outputs[1] is { } h) sizes[1].Add(DecodedSize(half, Reassemble(h)));
            if (outputs[2] is { } q)
            {
                sizes[2].Add(DecodedSize(quarter, Reassemble(q)));
                quarterBytes += q.Payloads.Sum(x => x.Length);
                Assert.Equal(timestamp, q.RtpTimestamp); // the camera's timestamps go through: audio stays in sync
            }
            if (first) Assert.True(outputs[1]!.IsKeyframe && outputs[2]!.IsKeyframe);
            first = false;
            timestamp += 3600;
        }
        Assert.Equal([(640, 360)], sizes[1]);
        Assert.Equal([(320, 180)], sizes[2]);
        Assert.Equal(2, ladder.EncodersRunning);
        Assert.Equal(frames.Count, ladder.FramesDecoded);
        // Quarter rung: 1.5 Mb/s / 2.5^2 = 240 kb/s, raised to the 300 kb/s minimum; x264's ABR lands near it.
        Assert.Equal(300_000, ladder.Layers[2].TargetBitrate);
        var kbps = quarterBytes * 8 / 4 / 1000;
        Assert.InRange(kbps, 150, 450);
        // A keyframe on request, on that rung only.
        ladder.RequestKeyframe(2);
        ladder.Process(new EncodedFrame { Codec = MediaCodec.H264, Data = frames[^1].Data, RtpTimestamp = timestamp }, 0b110, outputs);
        Assert.True(outputs[2]!.IsKeyframe);
        Assert.False(outputs[1]!.IsKeyframe);
        // Nobody wants rung 1 any more: its encoder goes after the linger time, rung 2 keeps running.
        await Task.Delay(QualityLadder.RungLinger + TimeSpan.FromMilliseconds(200));
        ladder.Process(new EncodedFrame { Codec = MediaCodec.H264, Data = frames[^1].Data, RtpTimestamp = timestamp + 3600 }, 0b100, outputs);
        Assert.Null(outputs[1]);
        Assert.NotNull(outputs[2]);
        Assert.Equal(1, ladder.EncodersRunning);
        Assert.False(ladder.Layers[1].Running);
    }

    [Fact]
    public async Task Vp8Layers_AreVp8_AtTheirSizes()
    {
        var frames = await MediaFiles.Vp8Async(_dir.FullName, 640, 480, 25, 2);
        using var ladder = new QualityLadder(MediaCodec.VP8, new LadderOptions());
        var outputs = new PacketizedFrame?[QualityLadder.LayerCount];
        var made = 0;
        uint ts = 0;
        foreach (var f in frames)
        {
            ladder.Process(new EncodedFrame { Codec = MediaCodec.VP8, Data = f.Data, RtpTimestamp = ts += 3600, IsKeyframe = f.Keyframe }, 1 << QualityLadder.Layer(MediaCodec.VP8, 1), outputs);
            if (outputs[QualityLadder.Layer(MediaCodec.VP8, 1)] is not { } o) continue;
            made++;
            // VP8 payload descriptor (RFC 7741 §4.2), then the frame: a keyframe's start code and its 320x240 size.
            var p = o.Payload(0);
            var header = (p[0] & 0x80) != 0 ? 2 + ((p[1] & 0x80) != 0 ? ((p[2] & 0x80) != 0 ? 2 : 1) : 0) + ((p[1] & 0x40) != 0 ? 1 : 0) + ((p[1] & 0x30) != 0 ? 1 : 0) : 1;
            if (!o.IsKeyframe) continue;
            var frame = p[header..];
            Assert.True(frame[3] == 0x9d && frame[4] == 0x01 && frame[5] == 0x2a);
            Assert.Equal(320, BinaryPrimitives.ReadUInt16LittleEndian(frame[6..]) & 0x3fff);
            Assert.Equal(240, BinaryPrimitives.ReadUInt16LittleEndian(frame[8..]) & 0x3fff);
        }
        Assert.Equal(frames.Count, made);
    }

    [Fact]
    public async Task H265Camera_TopRungIsReencoded()
    {
        // H.265 comes from ffmpeg as Annex B; the depacketizer hands length-prefixed units, as here.
        var path = Path.Combine(_dir.FullName, "cam.h265");
        await MediaFiles.RunFfmpegAsync($"-f lavfi -i testsrc=size=640x360:rate=25 -t 1 -c:v libx265 -preset ultrafast -x265-params keyint=25:bframes=0:log-level=error -f hevc \"{path}\"");
        var data = await File.ReadAllBytesAsync(path);
        using var ms = new MemoryStream();
        foreach (var nal in NalUnitsOf(data))
        {
            var prefix = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(prefix, (uint)nal.Length);
            ms.Write(prefix);
            ms.Write(nal);
        }
        using var ladder = new QualityLadder(MediaCodec.H265, new LadderOptions(TopBitrate: 800_000));
        Assert.Equal(800_000, ladder.BitrateOf(0));
        var outputs = new PacketizedFrame?[QualityLadder.LayerCount];
        // The whole second as one "frame" is enough for the decoder to give pictures (it splits the stream itself).
        ladder.Process(new EncodedFrame { Codec = MediaCodec.H265, Data = ms.ToArray(), RtpTimestamp = 0, IsKeyframe = true }, 0b001, outputs);
        Assert.NotNull(outputs[0]);
        using var decoder = new VideoDecoder("h264");
        Assert.Equal((640, 360), DecodedSize(decoder, Reassemble(outputs[0]!)));
    }

    /// <summary>
    /// H.264 samples of an MP4 made by ffmpeg, in decode order with their presentation times at 90 kHz (the RTP
    /// timestamps a camera would give them): SPS/PPS in-band in front of every keyframe, as cameras send them.
    /// </summary>
    private async Task<List<(byte[] Data, bool Keyframe, uint Pts)>> H264SamplesAsync(string x264Args, int seconds)
    {
        var path = Path.Combine(_dir.FullName, "timed.mp4");
        await MediaFiles.RunFfmpegAsync($"-f lavfi -i testsrc=size=640x360:rate=25 -t {seconds} -pix_fmt yuv420p -c:v libx264 -preset veryfast {x264Args} -g 25 -x264-params repeat-headers=1 -movflags +faststart \"{path}\"");
        var psi = new System.Diagnostics.ProcessStartInfo("ffprobe", $"-v error -select_streams v:0 -show_entries packet=pts,pos,size,flags -show_entries stream=time_base -of csv=p=0 \"{path}\"") { RedirectStandardOutput = true };
        using var probe = System.Diagnostics.Process.Start(psi)!;
        var lines = (await probe.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        await probe.WaitForExitAsync();
        var timeBase = lines.First(l => l.Contains('/')).Split('/');
        var (num, den) = (long.Parse(timeBase[0]), long.Parse(timeBase[1]));
        var file = await File.ReadAllBytesAsync(path);
        var samples = new List<(byte[], bool, uint)>();
        foreach (var line in lines.Where(l => !l.Contains('/')))
        {
            var f = line.Split(',');
            var (pts, size, pos) = (long.Parse(f[0]), int.Parse(f[1]), long.Parse(f[2]));
            samples.Add((file.AsSpan((int)pos, size).ToArray(), f[3].Contains('K'), (uint)(pts * 90000 * num / den)));
        }
        return samples;
    }

    [Fact]
    public async Task ReorderingCamera_IsReencoded_InPresentationOrder_EveryFrame()
    {
        var samples = await H264SamplesAsync("-profile:v main -bf 3 -b_strategy 0", 3);
        Assert.Contains(samples, s => samples.IndexOf(s) > 0 && s.Pts < samples[samples.IndexOf(s) - 1].Pts); // B-frames: pts go back
        using var ladder = new QualityLadder(MediaCodec.H264, new LadderOptions(), reorders: true);
        Assert.False(ladder.CameraTop);
        var outputs = new PacketizedFrame?[QualityLadder.LayerCount];
        var top = QualityLadder.Layer(MediaCodec.H264, 0);
        var timestamps = new List<uint>();
        foreach (var (data, key, pts) in samples)
        {
            ladder.Process(new EncodedFrame { Codec = MediaCodec.H264, Data = data, RtpTimestamp = pts, IsKeyframe = key }, 1 << top, outputs);
            if (outputs[top] is { } o) timestamps.Add(o.RtpTimestamp);
        }
        Assert.Equal(0, ladder.PicturesOutOfOrder);
        // The decoder holds back as many frames as the stream reorders (at most the depth, 3): the rest all come out, in order.
        Assert.InRange(timestamps.Count, samples.Count - 3, samples.Count);
        Assert.Equal(timestamps.Order(), timestamps);
        Assert.Equal(timestamps.Count, timestamps.Distinct().Count());
        Assert.Equal(samples.Select(s => s.Pts).Order().Take(timestamps.Count), timestamps); // the camera's own presentation times
    }

    [Fact]
    public async Task OneDecoder_FeedsH264AndVp8Layers_ForViewersOfBothCodecs()
    {
        var frames = await MediaFiles.H264Async(_dir.FullName, 640, 480, 25, 2);
        using var ladder = new QualityLadder(MediaCodec.H264, new LadderOptions());
        var outputs = new PacketizedFrame?[QualityLadder.LayerCount];
        var vp8Top = QualityLadder.Layer(MediaCodec.VP8, 0);
        var h264Half = QualityLadder.Layer(MediaCodec.H264, 1);
        int vp8 = 0, h264 = 0;
        uint ts = 0;
        using var check = new VideoDecoder("vp8");
        foreach (var f in frames)
        {
            ladder.Process(new EncodedFrame { Codec = MediaCodec.H264, Data = f.Data, RtpTimestamp = ts += 3600, IsKeyframe = f.Keyframe }, 1 << vp8Top | 1 << h264Half, outputs);
            if (outputs[vp8Top] is { } v)
            {
                vp8++;
                if (v.IsKeyframe) Assert.Equal(MediaCodec.VP8, ladder.Layers[vp8Top].Codec);
            }
            if (outputs[h264Half] is not null) h264++;
        }
        Assert.Equal(frames.Count, vp8);
        Assert.Equal(frames.Count, h264);
        Assert.Equal(2, ladder.EncodersRunning);
        Assert.Equal(1, ladder.FramesDecoded / frames.Count); // decoded once for both
        Assert.Equal((640, 480), (ladder.Layers[vp8Top].Width, ladder.Layers[vp8Top].Height));
        Assert.Equal((320, 240), (ladder.Layers[h264Half].Width, ladder.Layers[h264Half].Height));
    }

    private static IEnumerable<byte[]> NalUnitsOf(byte[] annexB)
    {
        var starts = new List<int>();
        for (var i = 0; i + 3 <= annexB.Length; i++)
        {
            if (annexB[i] == 0 && annexB[i + 1] == 0 && annexB[i + 2] == 1) starts.Add(i + 3);
        }
        for (var k = 0; k < starts.Count; k++)
        {
            var end = k + 1 < starts.Count ? starts[k + 1] - 3 : annexB.Length;
            while (end > starts[k] && annexB[end - 1] == 0) end--;
            yield return annexB[starts[k]..end];
        }
    }
}
