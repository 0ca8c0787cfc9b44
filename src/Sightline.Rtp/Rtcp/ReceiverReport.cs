using System.Buffers.Binary;

namespace Sightline.Rtp.Rtcp;

/// <summary>RTCP RR (RFC 3550 §6.4.2): writes one with at most one report block.</summary>
public static class ReceiverReport
{
    /// <summary>Writes an RR from <paramref name="senderSsrc"/>; returns its length (8, or 32 with a block).</summary>
    public static int Write(Span<byte> destination, uint senderSsrc, ReceptionReport? block)
    {
        var count = block is null ? 0 : 1;
        var length = 8 + count * ReceptionReport.Length;
        destination[0] = (byte)(0x80 | count);
        destination[1] = (byte)RtcpPacketType.ReceiverReport;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)(length / 4 - 1));
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], senderSsrc);
        block?.WriteTo(destination[8..]);
        return length;
    }
}
