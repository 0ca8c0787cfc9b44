using System.Buffers.Binary;
using Sightline.Rtp.Codecs;
using Sightline.Rtp.Packetization;

namespace Sightline.Rtp.Tests.Packetization;

public class PacketizerRoundTripTests
{
    private static byte[] AccessUnit(params int[] nalSizes)
    {
        using var ms = new MemoryStream();
        var r = new Random(nalSizes.Sum());
        var first = true;
        foreach (var size in nalSizes)
        {
            var nal = new byte[size];
            r.NextBytes(nal);
            nal[0] = (byte)(first ? 0x67 : size > 1000 ? 0x65 : 0x68); // SPS, then PPS/IDR
            first = false;
            var prefix = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(prefix, (uint)size);
            ms.Write(prefix);
            ms.Write(nal);
        }
        return ms.ToArray();
    }

    private static List<EncodedFrame> Depacketize(Depacketizer d, PacketizedFrame frame)
    {
        var frames = new List<EncodedFrame>();
        d.FrameReady += frames.Add;
        for (var i = 0; i < frame.Payloads.Length; i++)
        {
            var packet = Packets.Rtp((ushort)i, frame.RtpTimestamp, i == frame.Payloads.Length - 1, frame.Payload(i).ToArray());
            var h = Packets.Header(packet);
            d.Push(h, packet.AsSpan(h.PayloadOffset, h.PayloadLength));
        }
        return frames;
    }

    [Theory]
    [InlineData(new[] { 20, 5, 30000 })]      // SPS + PPS in one STAP-A, big IDR in FU-A
    [InlineData(new[] { 1500 })]              // one NAL just over the budget
    [InlineData(new[] { 300, 300, 300, 300, 300 })] // several small slices aggregated
    [InlineData(new[] { 1197 })]              // fits alone in a single NAL unit packet
    public void H264_PacketizedThenDepacketized_IsTheSameAccessUnit(int[] sizes)
    {
        var au = AccessUnit(sizes);
        var frame = H264Packetizer.Packetize(au, 1234, keyframe: true);
        Assert.All(Enumerable.Range(0, frame.Payloads.Length), i => Assert.InRange(frame.Payloads[i].Length, 1, H264Packetizer.DefaultBudget));
        var frames = Depacketize(new H264Depacketizer(new Dictionary<string, string>()), frame);
        Assert.Equal(au, Assert.Single(frames).Data);
        Assert.Equal(1234u, frames[0].RtpTimestamp);
    }

    [Fact]
    public void H264_StapA_CarriesTheHighestNri()
    {
        var frame = H264Packetizer.Packetize(AccessUnit(20, 5), 0, true);
        var p = frame.Payload(0);
        Assert.Equal(24, p[0] & 0x1f);
        Assert.Equal(0x60, p[0] & 0x60);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(1199)]
    [InlineData(50_000)]
    public void Vp8_PacketizedThenDepacketized_IsTheSameFrame(int size)
    {
        var data = new byte[size];
        new Random(size).NextBytes(data);
        data[0] &= 0xfe; // key frame
        var frames = Depacketize(new Vp8Depacketizer(), Vp8Packetizer.Packetize(data, 99, true));
        Assert.Equal(data, Assert.Single(frames).Data);
        Assert.True(frames[0].IsKeyframe);
    }
}
