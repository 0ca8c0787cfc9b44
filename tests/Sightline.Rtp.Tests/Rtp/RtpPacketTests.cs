using Sightline.Rtp.Rtp;

namespace Sightline.Rtp.Tests.Rtp;

public class RtpPacketTests
{
    [Fact]
    public void Parses_FixedHeader_Csrcs_Extension_AndPadding_Rfc3550_5_1()
    {
        // V=2 P=1 X=1 CC=1 | M=1 PT=96 | seq 0x1234 | ts 0xdeadbeef | ssrc 0x01020304 | csrc | ext profile 0xBEDE len 1 | 4 ext bytes | payload AA BB | 2 padding bytes (last = 2)
        var packet = Packets.Hex("B1 E0 1234 DEADBEEF 01020304 0A0B0C0D BEDE0001 10FF0000 AABB 0002");
        Assert.True(RtpPacket.TryParse(packet, out var p));
        Assert.True(p.Marker);
        Assert.Equal(96, p.PayloadType);
        Assert.Equal(0x1234, p.SequenceNumber);
        Assert.Equal(0xdeadbeefu, p.Timestamp);
        Assert.Equal(0x01020304u, p.Ssrc);
        Assert.True(p.HasExtension);
        Assert.Equal(0xBEDE, p.ExtensionProfile);
        Assert.Equal(20, p.ExtensionOffset);
        Assert.Equal(4, p.ExtensionLength);
        Assert.Equal(24, p.PayloadOffset);
        Assert.Equal(2, p.PayloadLength);
        Assert.Equal(new byte[] { 0xAA, 0xBB }, packet.AsSpan(p.PayloadOffset, p.PayloadLength).ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData("80 60 0001 00000001")] // shorter than 12 bytes
    [InlineData("40 60 0001 00000001 00000001")] // version 1
    [InlineData("8F 60 0001 00000001 00000001 00000000")] // 15 CSRCs announced, one present
    [InlineData("90 60 0001 00000001 00000001 BEDE0004 00000000")] // extension longer than the packet
    [InlineData("A0 60 0001 00000001 00000001 AA 09")] // padding longer than the payload
    [InlineData("A0 60 0001 00000001 00000001 AA 00")] // padding count 0
    public void Rejects_Malformed_WithoutThrowing(string hex)
    {
        Assert.False(RtpPacket.TryParse(Packets.Hex(hex), out _));
    }

    [Fact]
    public void WriteHeader_RoundTrips()
    {
        var buffer = new byte[12];
        RtpPacket.WriteHeader(buffer, true, 111, 65535, 4294967295, 42);
        Assert.True(RtpPacket.TryParse(buffer, out var p));
        Assert.Equal((111, 65535, 4294967295u, 42u, true, 0), (p.PayloadType, p.SequenceNumber, p.Timestamp, p.Ssrc, p.Marker, p.PayloadLength));
    }
}
