using System.Buffers.Binary;

namespace Sightline.WebRtc.Rtcp;

/// <summary>
/// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): for a run of
/// transport sequence numbers, which packets arrived and when (in 250 µs steps from a 64 ms reference time).
/// </summary>
public static class TransportFeedback
{
    /// <summary>One packet's fate: its transport sequence number, and its arrival time in microseconds (null = lost).</summary>
    public readonly record struct PacketStatus(ushort Sequence, long? ArrivalMicroseconds);

    /// <summary>Parses the FCI (after the media SSRC); false on a malformed one. <paramref name="statuses"/> is cleared and filled.</summary>
    public static bool TryParse(ReadOnlySpan<byte> fci, List<PacketStatus> statuses)
    {
        statuses.Clear();
        if (fci.Length < 8) return false;
        var baseSequence = BinaryPrimitives.ReadUInt16BigEndian(fci);
        var count = BinaryPrimitives.ReadUInt16BigEndian(fci[2..]);
        var reference = (fci[4] << 16 | fci[5] << 8 | fci[6]);
        if ((reference & 0x800000) != 0) reference -= 1 << 24;
        var offset = 8;
        Span<byte> symbols = count <= 4096 ? stackalloc byte[count] : new byte[count];
        var filled = 0;
        while (filled < count)
        {
            if (offset + 2 > fci.Length) return false;
            var chunk = BinaryPrimitives.ReadUInt16BigEndian(fci[offset..]);
            offset += 2;
            if ((chunk & 0x8000) == 0)
            {
                // Run length chunk: 2-bit symbol, 13-bit run.
                var symbol = (byte)(chunk >> 13 & 3);
                var run = chunk & 0x1fff;
                for (var i = 0; i < run && filled < count; i++) symbols[filled++] = symbol;
            }
            else if ((chunk & 0x4000) == 0)
            {
                for (var i = 0; i < 14 && filled < count; i++) symbols[filled++] = (byte)(chunk >> (13 - i) & 1);
            }
            else
            {
                for (var i = 0; i < 7 && filled < count; i++) symbols[filled++] = (byte)(chunk >> (12 - 2 * i) & 3);
            }
        }
        long time = reference * 64_000L;
        for (var i = 0; i < count; i++)
        {
            var seq = (ushort)(baseSequence + i);
            switch (symbols[i])
            {
                case 1:
                    if (offset + 1 > fci.Length) return false;
                    time += fci[offset] * 250L;
                    offset += 1;
                    statuses.Add(new PacketStatus(seq, time));
                    break;
                case 2:
                    if (offset + 2 > fci.Length) return false;
                    time += BinaryPrimitives.ReadInt16BigEndian(fci[offset..]) * 250L;
                    offset += 2;
                    statuses.Add(new PacketStatus(seq, time));
                    break;
                default:
                    statuses.Add(new PacketStatus(seq, null));
                    break;
            }
        }
        return true;
    }
}
