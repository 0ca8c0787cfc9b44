using Sightline.Rtp.Rtp;

namespace Sightline.Rtp.Tests;

/// <summary>Builds RTP packets for tests.</summary>
public static class Packets
{
    public static byte[] Rtp(ushort seq, uint ts, bool marker, byte[] payload, byte pt = 96, uint ssrc = 0x11223344)
    {
        var packet = new byte[12 + payload.Length];
        RtpPacket.WriteHeader(packet, marker, pt, seq, ts, ssrc);
        payload.CopyTo(packet, 12);
        return packet;
    }

    public static RtpPacket Header(byte[] packet)
    {
        Assert.True(RtpPacket.TryParse(packet, out var p));
        return p;
    }

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
}
