namespace Sightline.WebRtc.Srtp;

/// <summary>SRTP protection profiles negotiated by DTLS <c>use_srtp</c> (RFC 5764 §4.1.2, RFC 7714 §14.2).</summary>
public enum SrtpProfile : ushort
{
    AesCm128HmacSha1_80 = 0x0001,
    AeadAes128Gcm = 0x0007,
}

/// <summary>Key and salt sizes of each profile.</summary>
public static class SrtpProfiles
{
    public static int KeyLength(SrtpProfile p) => 16;

    public static int SaltLength(SrtpProfile p) => p == SrtpProfile.AeadAes128Gcm ? 12 : 14;

    /// <summary>Bytes added to each SRTP packet (authentication tag).</summary>
    public static int RtpOverhead(SrtpProfile p) => p == SrtpProfile.AeadAes128Gcm ? 16 : 10;

    /// <summary>Bytes added to each SRTCP packet (tag + E/index word).</summary>
    public static int RtcpOverhead(SrtpProfile p) => (p == SrtpProfile.AeadAes128Gcm ? 16 : 10) + 4;
}
