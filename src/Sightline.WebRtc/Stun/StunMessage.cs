using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Sightline.WebRtc.Stun;

/// <summary>STUN attribute types used by ICE (RFC 5389 §18.2, RFC 8445 §16.1, RFC 8489 §18.3).</summary>
public enum StunAttributeType : ushort
{
    MappedAddress = 0x0001,
    Username = 0x0006,
    MessageIntegrity = 0x0008,
    ErrorCode = 0x0009,
    UnknownAttributes = 0x000A,
    XorMappedAddress = 0x0020,
    Priority = 0x0024,
    UseCandidate = 0x0025,
    MessageIntegritySha256 = 0x001C,
    Software = 0x8022,
    Fingerprint = 0x8028,
    IceControlled = 0x8029,
    IceControlling = 0x802A,
}

/// <summary>
/// A parsed view of a STUN message (RFC 5389 §6) over the caller's bytes: type, transaction id and where each attribute is.
/// <code>
///  0                   1                   2                   3
/// |0 0|     STUN Message Type     |         Message Length        |
/// |                         Magic Cookie                          |
/// |                     Transaction ID (96 bits)                  |
/// </code>
/// </summary>
public ref struct StunMessage
{
    public const int HeaderLength = 20;
    public const uint MagicCookie = 0x2112A442;
    public const ushort BindingRequest = 0x0001;
    public const ushort BindingSuccess = 0x0101;
    public const ushort BindingError = 0x0111;
    public const ushort BindingIndication = 0x0011;
    private const uint FingerprintXor = 0x5354554e;

    private ReadOnlySpan<byte> _data;

    public ushort Type { get; private set; }
    public readonly ReadOnlySpan<byte> TransactionId => _data.Slice(8, 12);
    public readonly ReadOnlySpan<byte> Raw => _data;

    /// <summary>True when the first bytes look like STUN (RFC 7983: first byte 0–3, magic cookie).</summary>
    public static bool IsStun(ReadOnlySpan<byte> data) =>
        data.Length >= HeaderLength && data[0] < 4 && BinaryPrimitives.ReadUInt32BigEndian(data[4..]) == MagicCookie;

    public static bool TryParse(ReadOnlySpan<byte> data, out StunMessage message)
    {
        message = default;
        if (!IsStun(data)) return false;
        var length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        if ((length & 3) != 0 || HeaderLength + length > data.Length) return false;
        data = data[..(HeaderLength + length)];
        // Walk the attributes once to reject a broken TLV chain.
        var offset = HeaderLength;
        while (offset < data.Length)
        {
            if (offset + 4 > data.Length) return false;
            var attrLength = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]);
            offset += 4 + (attrLength + 3 & ~3);
            if (offset > data.Length) return false;
        }
        message = new StunMessage { _data = data, Type = BinaryPrimitives.ReadUInt16BigEndian(data) };
        return true;
    }

    /// <summary>The value of the first attribute of a type, and its offset; false when absent.</summary>
    public readonly bool TryGetAttribute(StunAttributeType type, out ReadOnlySpan<byte> value, out int attributeOffset)
    {
        var offset = HeaderLength;
        while (offset + 4 <= _data.Length)
        {
            var t = BinaryPrimitives.ReadUInt16BigEndian(_data[offset..]);
            var l = BinaryPrimitives.ReadUInt16BigEndian(_data[(offset + 2)..]);
            if (t == (ushort)type)
            {
                value = _data.Slice(offset + 4, l);
                attributeOffset = offset;
                return true;
            }
            offset += 4 + (l + 3 & ~3);
        }
        value = default;
        attributeOffset = -1;
        return false;
    }

    public readonly bool Has(StunAttributeType type) => TryGetAttribute(type, out _, out _);

    public readonly string? Username => TryGetAttribute(StunAttributeType.Username, out var v, out _) ? Encoding.UTF8.GetString(v) : null;

    /// <summary>Checks MESSAGE-INTEGRITY (HMAC-SHA1 keyed with the ICE password, RFC 5389 §15.4).</summary>
    public readonly bool VerifyIntegrity(ReadOnlySpan<byte> key)
    {
        if (!TryGetAttribute(StunAttributeType.MessageIntegrity, out var mac, out var at) || mac.Length != 20) return false;
        // The HMAC covers the message up to the attribute, with the length field counting up to its end.
        Span<byte> header = stackalloc byte[HeaderLength];
        _data[..HeaderLength].CopyTo(header);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(at + 24 - HeaderLength));
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, key);
        hmac.AppendData(header);
        hmac.AppendData(_data[HeaderLength..at]);
        Span<byte> computed = stackalloc byte[20];
        hmac.GetHashAndReset(computed);
        return CryptographicOperations.FixedTimeEquals(computed, mac);
    }

    /// <summary>Checks MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6; HMAC-SHA256, possibly truncated to 16–32 bytes).</summary>
    public readonly bool VerifyIntegritySha256(ReadOnlySpan<byte> key)
    {
        if (!TryGetAttribute(StunAttributeType.MessageIntegritySha256, out var mac, out var at) || mac.Length < 16 || mac.Length > 32 || mac.Length % 4 != 0) return false;
        Span<byte> header = stackalloc byte[HeaderLength];
        _data[..HeaderLength].CopyTo(header);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(at + 4 + mac.Length - HeaderLength));
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(header);
        hmac.AppendData(_data[HeaderLength..at]);
        Span<byte> computed = stackalloc byte[32];
        hmac.GetHashAndReset(computed);
        return CryptographicOperations.FixedTimeEquals(computed[..mac.Length], mac);
    }

    /// <summary>Checks FINGERPRINT (CRC-32 XOR 0x5354554e, RFC 5389 §15.5); true when the message has none.</summary>
    public readonly bool VerifyFingerprint()
    {
        if (!TryGetAttribute(StunAttributeType.Fingerprint, out var value, out var at)) return true;
        if (value.Length != 4) return false;
        Span<byte> copy = stackalloc byte[Math.Min(at, 1024)];
        if (at > copy.Length) return false;
        _data[..at].CopyTo(copy);
        BinaryPrimitives.WriteUInt16BigEndian(copy[2..], (ushort)(at + 8 - HeaderLength));
        return (Crc32.Compute(copy) ^ FingerprintXor) == BinaryPrimitives.ReadUInt32BigEndian(value);
    }

    /// <summary>Reads XOR-MAPPED-ADDRESS (RFC 5389 §15.2).</summary>
    public readonly IPEndPoint? XorMappedAddress
    {
        get
        {
            if (!TryGetAttribute(StunAttributeType.XorMappedAddress, out var v, out _) || v.Length < 8) return null;
            var port = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(v[2..]) ^ (MagicCookie >> 16));
            if (v[1] == 1)
            {
                var ip = BinaryPrimitives.ReadUInt32BigEndian(v[4..]) ^ MagicCookie;
                Span<byte> bytes = stackalloc byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(bytes, ip);
                return new IPEndPoint(new IPAddress(bytes), port);
            }
            if (v[1] == 2 && v.Length >= 20)
            {
                Span<byte> bytes = stackalloc byte[16];
                BinaryPrimitives.WriteUInt32BigEndian(bytes, MagicCookie);
                TransactionId.CopyTo(bytes[4..]);
                for (var i = 0; i < 16; i++) bytes[i] ^= v[4 + i];
                return new IPEndPoint(new IPAddress(bytes), port);
            }
            return null;
        }
    }
}

/// <summary>Writes a STUN message attribute by attribute, then MESSAGE-INTEGRITY and FINGERPRINT (RFC 5389 §15.4–15.5).</summary>
public ref struct StunWriter
{
    private readonly Span<byte> _buffer;
    private int _length;

    public StunWriter(Span<byte> buffer, ushort type, ReadOnlySpan<byte> transactionId)
    {
        _buffer = buffer;
        BinaryPrimitives.WriteUInt16BigEndian(buffer, type);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], StunMessage.MagicCookie);
        transactionId.CopyTo(buffer[8..20]);
        _length = StunMessage.HeaderLength;
        SetLength();
    }

    public readonly int Length => _length;

    public void Add(StunAttributeType type, scoped ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_length..], (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[(_length + 2)..], (ushort)value.Length);
        value.CopyTo(_buffer[(_length + 4)..]);
        var padded = value.Length + 3 & ~3;
        _buffer.Slice(_length + 4 + value.Length, padded - value.Length).Clear();
        _length += 4 + padded;
        SetLength();
    }

    public void AddXorMappedAddress(IPEndPoint endPoint)
    {
        Span<byte> value = stackalloc byte[endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? 20 : 8];
        value[0] = 0;
        value[1] = endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? (byte)2 : (byte)1;
        BinaryPrimitives.WriteUInt16BigEndian(value[2..], (ushort)(endPoint.Port ^ (StunMessage.MagicCookie >> 16)));
        Span<byte> address = stackalloc byte[16];
        endPoint.Address.TryWriteBytes(address, out var written);
        Span<byte> mask = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(mask, StunMessage.MagicCookie);
        _buffer.Slice(8, 12).CopyTo(mask[4..]);
        for (var i = 0; i < written; i++) value[4 + i] = (byte)(address[i] ^ mask[i]);
        Add(StunAttributeType.XorMappedAddress, value);
    }

    public void AddErrorCode(int code, string reason)
    {
        Span<byte> value = stackalloc byte[4 + Encoding.UTF8.GetByteCount(reason)];
        value[2] = (byte)(code / 100);
        value[3] = (byte)(code % 100);
        Encoding.UTF8.GetBytes(reason, value[4..]);
        Add(StunAttributeType.ErrorCode, value);
    }

    public void AddMessageIntegrity(scoped ReadOnlySpan<byte> key)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(_length + 24 - StunMessage.HeaderLength));
        Span<byte> mac = stackalloc byte[20];
        HMACSHA1.HashData(key, _buffer[.._length], mac);
        Add(StunAttributeType.MessageIntegrity, mac);
    }

    public void AddMessageIntegritySha256(scoped ReadOnlySpan<byte> key)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(_length + 36 - StunMessage.HeaderLength));
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, _buffer[.._length], mac);
        Add(StunAttributeType.MessageIntegritySha256, mac);
    }

    public void AddFingerprint()
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(_length + 8 - StunMessage.HeaderLength));
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(value, Crc32.Compute(_buffer[.._length]) ^ 0x5354554e);
        Add(StunAttributeType.Fingerprint, value);
    }

    private readonly void SetLength() => BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(_length - StunMessage.HeaderLength));
}
