using System.Buffers.Binary;

namespace Sightline.Rtp.Rtcp;

/// <summary>Walks the packets of an RTCP compound packet (RFC 3550 §6.1) without copying.</summary>
public ref struct RtcpCompoundReader
{
    private ReadOnlySpan<byte> _rest;

    public RtcpCompoundReader(ReadOnlySpan<byte> compound) => _rest = compound;

    /// <summary>The next packet: its type, its count/format field and the whole packet's bytes. False at the end or on a malformed length.</summary>
    public bool TryNext(out RtcpPacketType type, out int countOrFormat, out ReadOnlySpan<byte> packet)
    {
        type = 0;
        countOrFormat = 0;
        packet = default;
        if (_rest.Length < 4 || _rest[0] >> 6 != 2) return false;
        var length = (BinaryPrimitives.ReadUInt16BigEndian(_rest[2..]) + 1) * 4;
        if (length > _rest.Length) return false;
        type = (RtcpPacketType)_rest[1];
        countOrFormat = _rest[0] & 0x1f;
        packet = _rest[..length];
        _rest = _rest[length..];
        return true;
    }
}
