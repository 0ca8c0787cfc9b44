using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Sightline.WebRtc.Srtp;

/// <summary>
/// One direction of an SRTP session (RFC 3711; AES-GCM per RFC 7714): session keys derived once from the DTLS-exported
/// master key and salt, and per-SSRC rollover counters and replay windows. Protects and unprotects in place, without
/// allocating per packet. Not thread-safe: one context belongs to one sender or one receiver loop.
/// </summary>
public sealed class SrtpContext : IDisposable
{
    private const int AuthTag80 = 10;
    private const int GcmTag = 16;

    private readonly SrtpProfile _profile;
    private readonly Aes _rtpAes, _rtcpAes;
    // ECB transforms reused for the AES-CM keystream: TransformBlock allocates nothing, unlike Aes.EncryptEcb.
    private readonly ICryptoTransform _rtpCipher, _rtcpCipher;
    private readonly AesGcm? _rtpGcm, _rtcpGcm;
    private readonly IncrementalHash? _rtpAuth, _rtcpAuth;
    private readonly byte[] _rtpSalt, _rtcpSalt;
    private readonly Dictionary<uint, SsrcState> _ssrcs = [];
    private uint _srtcpIndex;
    private byte[] _keystream = new byte[2048];
    private byte[] _counters = new byte[2048];

    private sealed class SsrcState
    {
        public uint Roc;
        public ushort LastSequence;
        public bool Started;
        public ReplayWindow Replay;
        public ReplayWindow RtcpReplay;
    }

    public SrtpContext(SrtpProfile profile, ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt)
    {
        _profile = profile;
        var saltLength = SrtpProfiles.SaltLength(profile);
        Span<byte> salt14 = stackalloc byte[14];
        salt14.Clear();
        masterSalt[..saltLength].CopyTo(salt14);

        var rtpKey = new byte[16];
        var rtcpKey = new byte[16];
        _rtpSalt = new byte[saltLength];
        _rtcpSalt = new byte[saltLength];
        SrtpKeyDerivation.Derive(masterKey, salt14, SrtpKeyDerivation.RtpEncryption, rtpKey);
        SrtpKeyDerivation.Derive(masterKey, salt14, SrtpKeyDerivation.RtcpEncryption, rtcpKey);
        SrtpKeyDerivation.Derive(masterKey, salt14, SrtpKeyDerivation.RtpSalt, _rtpSalt);
        SrtpKeyDerivation.Derive(masterKey, salt14, SrtpKeyDerivation.RtcpSalt, _rtcpSalt);
        _rtpAes = Aes.Create();
        _rtpAes.Key = rtpKey;
        _rtpAes.Mode = CipherMode.ECB;
        _rtpAes.Padding = PaddingMode.None;
        _rtcpAes = Aes.Create();
        _rtcpAes.Key = rtcpKey;
        _rtcpAes.Mode = CipherMode.ECB;
        _rtcpAes.Padding = PaddingMode.None;
        _rtpCipher = _rtpAes.CreateEncryptor(rtpKey, null);
        _rtcpCipher = _rtcpAes.CreateEncryptor(rtcpKey, null);
        if (profile == SrtpProfile.AeadAes128Gcm)
        {
            _rtpGcm = new AesGcm(rtpKey, GcmTag);
            _rtcpGcm = new AesGcm(rtcpKey, GcmTag);
        }
        else
        {
            var rtpAuthKey = new byte[20];
            var rtcpAuthKey = new byte[20];
            SrtpKeyDerivation.Derive(masterKey, salt14, SrtpKeyDerivation.RtpAuthentication, rtpAuthKey);
            SrtpKeyDerivation.Derive(masterKey, salt14, SrtpKeyDerivation.RtcpAuthentication, rtcpAuthKey);
            _rtpAuth = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, rtpAuthKey);
            _rtcpAuth = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, rtcpAuthKey);
        }
    }

    public SrtpProfile Profile => _profile;

    /// <summary>Encrypts and authenticates the RTP packet in <paramref name="buffer"/>[..length] in place; returns the SRTP length.</summary>
    /// <remarks>The buffer needs <see cref="SrtpProfiles.RtpOverhead"/> spare bytes after the packet.</remarks>
    public int ProtectRtp(Span<byte> buffer, int length)
    {
        var headerLength = RtpHeaderLength(buffer[..length]);
        if (headerLength < 0) return -1;
        var ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[8..]);
        var seq = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
        var state = State(ssrc);
        // Sender side: the ROC advances when our own sequence number wraps (RFC 3711 §3.3.1).
        if (state.Started && seq < state.LastSequence && state.LastSequence - seq > 0x8000) state.Roc++;
        if (!state.Started || (ushort)(seq - state.LastSequence) < 0x8000)
        {
            state.LastSequence = seq;
            state.Started = true;
        }
        var roc = state.Roc;

        if (_rtpGcm is not null)
        {
            Span<byte> iv = stackalloc byte[12];
            GcmIv(iv, _rtpSalt, ssrc, roc, seq);
            var payload = buffer[headerLength..length];
            _rtpGcm.Encrypt(iv, payload, payload, buffer.Slice(length, GcmTag), buffer[..headerLength]);
            return length + GcmTag;
        }
        CtrXor(_rtpCipher, _rtpSalt, ssrc, (long)roc << 16 | seq, buffer[headerLength..length]);
        Span<byte> rocBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(rocBytes, roc);
        Span<byte> mac = stackalloc byte[20];
        _rtpAuth!.AppendData(buffer[..length]);
        _rtpAuth.AppendData(rocBytes);
        _rtpAuth.GetHashAndReset(mac);
        mac[..AuthTag80].CopyTo(buffer[length..]);
        return length + AuthTag80;
    }

    /// <summary>Authenticates and decrypts an SRTP packet in place; returns the RTP length, or -1 (bad tag, replay, malformed).</summary>
    public int UnprotectRtp(Span<byte> buffer, int length)
    {
        var tag = _rtpGcm is not null ? GcmTag : AuthTag80;
        if (length < 12 + tag) return -1;
        var headerLength = RtpHeaderLength(buffer[..(length - tag)]);
        if (headerLength < 0) return -1;
        var ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[8..]);
        var seq = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
        var state = State(ssrc);
        var roc = EstimateRoc(state, seq);
        var index = (long)roc << 16 | seq;
        if (!state.Replay.Check(index)) return -1;
        var end = length - tag;
        if (_rtpGcm is not null)
        {
            Span<byte> iv = stackalloc byte[12];
            GcmIv(iv, _rtpSalt, ssrc, roc, seq);
            var payload = buffer[headerLength..end];
            try
            {
                _rtpGcm.Decrypt(iv, payload, buffer.Slice(end, GcmTag), payload, buffer[..headerLength]);
            }
            catch (AuthenticationTagMismatchException)
            {
                return -1;
            }
        }
        else
        {
            Span<byte> rocBytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(rocBytes, roc);
            Span<byte> mac = stackalloc byte[20];
            _rtpAuth!.AppendData(buffer[..end]);
            _rtpAuth.AppendData(rocBytes);
            _rtpAuth.GetHashAndReset(mac);
            if (!CryptographicOperations.FixedTimeEquals(mac[..AuthTag80], buffer.Slice(end, AuthTag80))) return -1;
            CtrXor(_rtpCipher, _rtpSalt, ssrc, index, buffer[headerLength..end]);
        }
        state.Replay.Accept(index);
        if (!state.Started || index > ((long)state.Roc << 16 | state.LastSequence))
        {
            state.Roc = roc;
            state.LastSequence = seq;
            state.Started = true;
        }
        return end;
    }

    /// <summary>Protects an RTCP compound packet in place (RFC 3711 §3.4); returns the SRTCP length.</summary>
    public int ProtectRtcp(Span<byte> buffer, int length)
    {
        if (length < 8) return -1;
        var ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]);
        var index = _srtcpIndex++ & 0x7fffffff;
        if (_rtcpGcm is not null)
        {
            Span<byte> iv = stackalloc byte[12];
            GcmRtcpIv(iv, _rtcpSalt, ssrc, index);
            Span<byte> aad = stackalloc byte[12];
            buffer[..8].CopyTo(aad);
            BinaryPrimitives.WriteUInt32BigEndian(aad[8..], 0x80000000 | index);
            var payload = buffer[8..length];
            _rtcpGcm.Encrypt(iv, payload, payload, buffer.Slice(length, GcmTag), aad);
            BinaryPrimitives.WriteUInt32BigEndian(buffer[(length + GcmTag)..], 0x80000000 | index);
            return length + GcmTag + 4;
        }
        CtrXor(_rtcpCipher, _rtcpSalt, ssrc, index, buffer[8..length]);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[length..], 0x80000000 | index);
        Span<byte> mac = stackalloc byte[20];
        _rtcpAuth!.AppendData(buffer[..(length + 4)]);
        _rtcpAuth.GetHashAndReset(mac);
        mac[..AuthTag80].CopyTo(buffer[(length + 4)..]);
        return length + 4 + AuthTag80;
    }

    /// <summary>Authenticates and decrypts an SRTCP packet in place; returns the RTCP length, or -1.</summary>
    public int UnprotectRtcp(Span<byte> buffer, int length)
    {
        var tag = _rtcpGcm is not null ? GcmTag : AuthTag80;
        if (length < 8 + 4 + tag) return -1;
        var ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]);
        uint word;
        int end;
        if (_rtcpGcm is not null)
        {
            word = BinaryPrimitives.ReadUInt32BigEndian(buffer[(length - 4)..]);
            end = length - 4 - GcmTag;
        }
        else
        {
            word = BinaryPrimitives.ReadUInt32BigEndian(buffer[(length - tag - 4)..]);
            end = length - tag - 4;
        }
        var encrypted = (word & 0x80000000) != 0;
        var index = word & 0x7fffffff;
        var state = State(ssrc);
        if (!state.RtcpReplay.Check(index)) return -1;
        if (_rtcpGcm is not null)
        {
            Span<byte> iv = stackalloc byte[12];
            GcmRtcpIv(iv, _rtcpSalt, ssrc, index);
            Span<byte> aad = stackalloc byte[12];
            buffer[..8].CopyTo(aad);
            BinaryPrimitives.WriteUInt32BigEndian(aad[8..], word);
            var payload = buffer[8..end];
            try
            {
                _rtcpGcm.Decrypt(iv, payload, buffer.Slice(end, GcmTag), payload, aad);
            }
            catch (AuthenticationTagMismatchException)
            {
                return -1;
            }
        }
        else
        {
            Span<byte> mac = stackalloc byte[20];
            _rtcpAuth!.AppendData(buffer[..(end + 4)]);
            _rtcpAuth.GetHashAndReset(mac);
            if (!CryptographicOperations.FixedTimeEquals(mac[..AuthTag80], buffer.Slice(end + 4, AuthTag80))) return -1;
            if (encrypted) CtrXor(_rtcpCipher, _rtcpSalt, ssrc, index, buffer[8..end]);
        }
        state.RtcpReplay.Accept(index);
        return end;
    }

    public void Dispose()
    {
        _rtpCipher.Dispose();
        _rtcpCipher.Dispose();
        _rtpAes.Dispose();
        _rtcpAes.Dispose();
        _rtpGcm?.Dispose();
        _rtcpGcm?.Dispose();
        _rtpAuth?.Dispose();
        _rtcpAuth?.Dispose();
    }

    private SsrcState State(uint ssrc)
    {
        if (!_ssrcs.TryGetValue(ssrc, out var state))
        {
            state = new SsrcState();
            _ssrcs[ssrc] = state;
        }
        return state;
    }

    // RFC 3711 Appendix A: the ROC that puts this sequence number closest to the last one seen.
    private static uint EstimateRoc(SsrcState s, ushort seq)
    {
        if (!s.Started) return 0;
        if (s.LastSequence < 0x8000)
        {
            return seq - s.LastSequence > 0x8000 && s.Roc > 0 ? s.Roc - 1 : s.Roc;
        }
        return s.LastSequence - 0x8000 > seq ? s.Roc + 1 : s.Roc;
    }

    // AES-CM (RFC 3711 §4.1.1): IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16); keystream XORed over the payload.
    private void CtrXor(ICryptoTransform cipher, byte[] salt, uint ssrc, long index, Span<byte> data)
    {
        var blocks = (data.Length + 15) / 16;
        if (blocks * 16 > _counters.Length)
        {
            _counters = new byte[blocks * 16];
            _keystream = new byte[blocks * 16];
        }
        Span<byte> iv = stackalloc byte[16];
        iv.Clear();
        salt.AsSpan(0, 14).CopyTo(iv);
        iv[4] ^= (byte)(ssrc >> 24);
        iv[5] ^= (byte)(ssrc >> 16);
        iv[6] ^= (byte)(ssrc >> 8);
        iv[7] ^= (byte)ssrc;
        for (var k = 0; k < 6; k++) iv[8 + k] ^= (byte)(index >> (40 - 8 * k));
        var counters = _counters.AsSpan(0, blocks * 16);
        for (var j = 0; j < blocks; j++)
        {
            var block = counters.Slice(j * 16, 16);
            iv.CopyTo(block);
            var c = (ushort)j;
            block[14] = (byte)(c >> 8);
            block[15] = (byte)c;
        }
        cipher.TransformBlock(_counters, 0, blocks * 16, _keystream, 0);
        Xor(data, _keystream.AsSpan(0, data.Length));
    }

    private static void Xor(Span<byte> data, ReadOnlySpan<byte> keystream)
    {
        var i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            var width = System.Numerics.Vector<byte>.Count;
            for (; i + width <= data.Length; i += width)
            {
                var v = new System.Numerics.Vector<byte>(data[i..]) ^ new System.Numerics.Vector<byte>(keystream[i..]);
                v.CopyTo(data[i..]);
            }
        }
        for (; i < data.Length; i++) data[i] ^= keystream[i];
    }

    internal static void GcmIv(Span<byte> iv, byte[] salt, uint ssrc, uint roc, ushort seq)
    {
        // RFC 7714 §8.1: 00 00 | SSRC | ROC | SEQ, XOR the 96-bit salt.
        iv[0] = 0;
        iv[1] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(iv[2..], ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(iv[6..], roc);
        BinaryPrimitives.WriteUInt16BigEndian(iv[10..], seq);
        for (var i = 0; i < 12; i++) iv[i] ^= salt[i];
    }

    private static void GcmRtcpIv(Span<byte> iv, byte[] salt, uint ssrc, uint index)
    {
        // RFC 7714 §9.1: 00 00 | SSRC | 00 00 | SRTCP index (31 bits), XOR the salt.
        iv.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(iv[2..], ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(iv[8..], index & 0x7fffffff);
        for (var i = 0; i < 12; i++) iv[i] ^= salt[i];
    }

    private static int RtpHeaderLength(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 12 || packet[0] >> 6 != 2) return -1;
        var length = 12 + 4 * (packet[0] & 0x0f);
        if ((packet[0] & 0x10) != 0)
        {
            if (length + 4 > packet.Length) return -1;
            length += 4 + 4 * BinaryPrimitives.ReadUInt16BigEndian(packet[(length + 2)..]);
        }
        return length <= packet.Length ? length : -1;
    }
}
