using System.Buffers.Binary;

namespace Sightline.Rtp.Rtcp;

/// <summary>The sender-info part of an RTCP SR (RFC 3550 §6.4.1): maps an RTP timestamp to the sender's wall clock.</summary>
public readonly record struct SenderReport(uint Ssrc, ulong NtpTimestamp, uint RtpTimestamp, uint PacketCount, uint OctetCount)
{
    public const int SenderInfoLength = 28;

    public static bool TryParse(ReadOnlySpan<byte> packet, out SenderReport report)
    {
        report = default;
        if (packet.Length < SenderInfoLength || packet[1] != (byte)RtcpPacketType.SenderReport) return false;
        report = new SenderReport(
            BinaryPrimitives.ReadUInt32BigEndian(packet[4..]),
            BinaryPrimitives.ReadUInt64BigEndian(packet[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(packet[16..]),
            BinaryPrimitives.ReadUInt32BigEndian(packet[20..]),
            BinaryPrimitives.ReadUInt32BigEndian(packet[24..]));
        return true;
    }
}
