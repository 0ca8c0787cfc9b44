using System.Security.Cryptography;

namespace Sightline.WebRtc.Srtp;

/// <summary>The SRTP key derivation function (RFC 3711 §4.3.1, key derivation rate 0): AES-CM keyed with the master key.</summary>
public static class SrtpKeyDerivation
{
    public const byte RtpEncryption = 0, RtpAuthentication = 1, RtpSalt = 2, RtcpEncryption = 3, RtcpAuthentication = 4, RtcpSalt = 5;

    /// <summary>Derives <paramref name="output"/>.Length bytes for <paramref name="label"/>.</summary>
    /// <param name="masterSalt">14 bytes (AES-CM) or 12 bytes (GCM, RFC 7714 §11: zero-padded to 14).</param>
    public static void Derive(ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt, byte label, Span<byte> output)
    {
        Span<byte> iv = stackalloc byte[16];
        iv.Clear();
        masterSalt.CopyTo(iv);
        iv[7] ^= label; // x = (label << 48) XOR salt, then IV = x << 16
        using var aes = Aes.Create();
        aes.Key = masterKey.ToArray();
        var blocks = (output.Length + 15) / 16;
        Span<byte> counters = stackalloc byte[blocks * 16];
        for (var j = 0; j < blocks; j++)
        {
            iv.CopyTo(counters[(j * 16)..]);
            counters[j * 16 + 14] = (byte)(j >> 8);
            counters[j * 16 + 15] = (byte)j;
        }
        Span<byte> stream = stackalloc byte[blocks * 16];
        aes.EncryptEcb(counters, stream, PaddingMode.None);
        stream[..output.Length].CopyTo(output);
    }
}
