using System.Buffers.Binary;

namespace Sightline.Rtp.Rtp;

/// <summary>
/// A parsed view of one RTP packet (RFC 3550 §5.1) over the caller's bytes: header fields plus where the payload is.
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// |                           timestamp                           |
/// |           synchronization source (SSRC) identifier            |
/// |            contributing source (CSRC) identifiers  ...        |
/// </code>
/// </summary>
public readonly struct RtpPacket
{
    public const int FixedHeaderLength = 12;

    public bool Marker { get; init; }
    public byte PayloadType { get; init; }
    public ushort SequenceNumber { get; init; }
    public uint Timestamp { get; init; }
    public uint Ssrc { get; init; }
    /// <summary>Offset of the payload in the packet (after CSRCs and the header extension).</summary>
    public int PayloadOffset { get; init; }
    /// <summary>Payload length, padding removed.</summary>
    public int PayloadLength { get; init; }
    public bool HasExtension { get; init; }
    /// <summary>Offset and length of the header extension's data (after its 4-byte profile/length word).</summary>
    public int ExtensionOffset { get; init; }
    public int ExtensionLength { get; init; }
    public ushort ExtensionProfile { get; init; }

    /// <summary>Parses the header; false (and nothing thrown) for anything that is not a well-formed RTP v2 packet.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out RtpPacket packet)
    {
        packet = default;
        if (data.Length < FixedHeaderLength || data[0] >> 6 != 2) return false;
        var padding = (data[0] & 0x20) != 0;
        var extension = (data[0] & 0x10) != 0;
        var csrcCount = data[0] & 0x0f;
        var offset = FixedHeaderLength + 4 * csrcCount;
        if (offset > data.Length) return false;
        int extOffset = 0, extLength = 0;
        ushort extProfile = 0;
        if (extension)
        {
            if (offset + 4 > data.Length) return false;
            extProfile = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
            extLength = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]) * 4;
            extOffset = offset + 4;
            offset = extOffset + extLength;
            if (offset > data.Length) return false;
        }
        var end = data.Length;
        if (padding)
        {
            var pad = data[^1];
            if (pad == 0 || end - pad < offset) return false;
            end -= pad;
        }
        packet = new RtpPacket
        {
            Marker = (data[1] & 0x80) != 0,
            PayloadType = (byte)(data[1] & 0x7f),
            SequenceNumber = BinaryPrimitives.ReadUInt16BigEndian(data[2..]),
            Timestamp = BinaryPrimitives.ReadUInt32BigEndian(data[4..]),
            Ssrc = BinaryPrimitives.ReadUInt32BigEndian(data[8..]),
            PayloadOffset = offset,
            PayloadLength = end - offset,
            HasExtension = extension,
            ExtensionOffset = extOffset,
            ExtensionLength = extLength,
            ExtensionProfile = extProfile,
        };
        return true;
    }

    /// <summary>Writes a minimal RTP header (no CSRC, no extension) into <paramref name="destination"/>; returns 12.</summary>
    public static int WriteHeader(Span<byte> destination, bool marker, byte payloadType, ushort sequenceNumber, uint timestamp, uint ssrc)
    {
        destination[0] = 0x80;
        destination[1] = (byte)((marker ? 0x80 : 0) | (payloadType & 0x7f));
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], sequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], ssrc);
        return FixedHeaderLength;
    }
}
