using System.Buffers.Binary;
using Sightline.TestKit;

namespace Sightline.Codecs.Tests;

/// <summary>The FFmpeg layer against media made by ffmpeg at test time: decode, scale, encode, and decode our output back.</summary>
public sealed class CodecTests : IAsyncLifetime
{
    private DirectoryInfo _dir = null!;
    private List<FileFrame> _frames = null!;

    public async Task InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("sightline-codecs-");
        _frames = await MediaFiles.H264Async(_dir.FullName, 640, 480, 25, 2, "high");
    }

    public Task DisposeAsync()
    {
        _dir.Delete(true);
        return Task.CompletedTask;
    }

    private static byte[] AnnexB(byte[] lengthPrefixed)
    {
        using var ms = new MemoryStream();
        var rest = lengthPrefixed.AsSpan();
        while (rest.Length >= 4)
        {
            var n = (int)BinaryPrimitives.ReadUInt32BigEndian(rest);
            ms.Write([0, 0, 0, 1]);
            ms.Write(rest.Slice(4, n));
            rest = rest[(4 + n)..];
        }
        return ms.ToArray();
    }

    [Fact]
    public void H264High_Decodes_At640x480()
    {
        using var decoder = new VideoDecoder("h264");
        var pictures = 0;
        var size = (0, 0);
        foreach (var f in _frames)
        {
            decoder.Decode(AnnexB(f.Data), pictures, (in Picture p) =>
            {
                pictures++;
                size = (p.Width, p.Height);
            });
        }
        Assert.True(pictures >= _frames.Count - 2, $"{pictures} pictures from {_frames.Count} frames");
        Assert.Equal((640, 480), size);
    }

    [Theory]
    [InlineData("libvpx", "vp8")]
    [InlineData("libx264", "h264")]
    public void DecodeScaleEncode_ProducesAStreamThatDecodesAtTheNewSize(string encoderName, string decoderName)
    {
        using var decoder = new VideoDecoder("h264");
        using var scaler = new Scaler(320, 240);
        using var encoder = new VideoEncoder(encoderName, 320, 240, 25, 300_000);
        var packets = new List<(byte[] Data, bool Key)>();
        long pts = 0;
        foreach (var f in _frames)
        {
            decoder.Decode(AnnexB(f.Data), pts, (in Picture p) =>
                scaler.Scale(in p, (in Picture small) =>
                    encoder.Encode(in small, pts, keyframe: pts == 0, (packet, key, _) => packets.Add((packet.ToArray(), key)))));
            pts += 3600;
        }
        Assert.True(packets.Count >= _frames.Count - 2);
        Assert.True(packets[0].Key, "the first packet is a keyframe");

        using var check = new VideoDecoder(decoderName);
        var decoded = 0;
        var size = (0, 0);
        foreach (var (data, _) in packets)
        {
            check.Decode(data, decoded, (in Picture p) =>
            {
                decoded++;
                size = (p.Width, p.Height);
            });
        }
        Assert.Equal((320, 240), size);
        Assert.True(decoded >= packets.Count - 2);
    }

    [Theory]
    [InlineData("libvpx")]
    [InlineData("libx264")]
    public void KeyframeOnDemand_AndLiveBitrateChange(string encoderName)
    {
        using var decoder = new VideoDecoder("h264");
        using var scaler = new Scaler(320, 240);
        using var encoder = new VideoEncoder(encoderName, 320, 240, 25, 1_000_000);
        var sizes = new List<(int Size, bool Key, int Frame)>();
        var frame = 0;
        foreach (var f in _frames)
        {
            if (frame == 25) encoder.SetBitrate(100_000);
            var current = frame;
            decoder.Decode(AnnexB(f.Data), frame, (in Picture p) =>
                scaler.Scale(in p, (in Picture small) =>
                    encoder.Encode(in small, current * 3600, keyframe: current is 0 or 15, (packet, key, _) => sizes.Add((packet.Length, key, current)))));
            frame++;
        }
        Assert.Contains(sizes, s => s.Key && s.Frame == 15);
        var before = sizes.Where(s => s.Frame is > 2 and < 14).Average(s => s.Size);
        var after = sizes.Where(s => s.Frame > 35 && !s.Key).Average(s => s.Size);
        Assert.True(after < before, $"bitrate change had no effect: {before:0} B/frame before, {after:0} after ({encoderName})");
    }

    [Fact]
    public void UnknownCodec_IsAClearError()
    {
        var e = Assert.Throws<CodecException>(() => new VideoDecoder("no-such-codec"));
        Assert.Contains("no-such-codec", e.Message);
    }
}
