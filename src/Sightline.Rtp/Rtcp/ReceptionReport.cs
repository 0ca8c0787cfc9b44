using System.Buffers.Binary;

namespace Sightline.Rtp.Rtcp;

/// <summary>One report block of an SR or RR (RFC 3550 §6.4.1).</summary>
public readonly record struct ReceptionReport(
    uint Ssrc, byte FractionLost, int CumulativeLost, uint HighestSequence, uint Jitter, uint LastSenderReport, uint DelaySinceLastSenderReport)
{
    public const int Length = 24;

    public int WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, Ssrc);
        var lost = Math.Clamp(CumulativeLost, -0x800000, 0x7fffff) & 0xffffff;
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], (uint)FractionLost << 24 | (uint)lost);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], HighestSequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], Jitter);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], LastSenderReport);
        BinaryPrimitives.WriteUInt32BigEndian(destination[20..], DelaySinceLastSenderReport);
        return Length;
    }

    public static ReceptionReport Read(ReadOnlySpan<byte> block)
    {
        var word = BinaryPrimitives.ReadUInt32BigEndian(block[4..]);
        var lost = (int)(word & 0xffffff);
        if ((lost & 0x800000) != 0) lost |= unchecked((int)0xff000000);
        return new ReceptionReport(
            BinaryPrimitives.ReadUInt32BigEndian(block),
            (byte)(word >> 24),
            lost,
            BinaryPrimitives.ReadUInt32BigEndian(block[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(block[12..]),
            BinaryPrimitives.ReadUInt32BigEndian(block[16..]),
            BinaryPrimitives.ReadUInt32BigEndian(block[20..]));
    }
}
