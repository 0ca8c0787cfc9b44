using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;

namespace Sightline.WebRtc.Dtls;

/// <summary>
/// The server's DTLS identity: a self-signed ECDSA P-256 certificate made at start (RFC 8827 §6.5) and its SHA-256
/// fingerprint for SDP (<c>a=fingerprint:sha-256 AB:CD:…</c>, RFC 8122 §5).
/// </summary>
public sealed class DtlsCertificate
{
    private DtlsCertificate(byte[] der, AsymmetricKeyParameter privateKey)
    {
        Der = der;
        PrivateKey = privateKey;
        Fingerprint = FingerprintOf(der);
    }

    public byte[] Der { get; }
    public AsymmetricKeyParameter PrivateKey { get; }
    /// <summary>Upper-case hex pairs separated by colons.</summary>
    public string Fingerprint { get; }

    public static DtlsCertificate Create(TimeProvider? time = null)
    {
        var now = (time ?? TimeProvider.System).GetUtcNow();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=sightline", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        var pkcs8 = key.ExportPkcs8PrivateKey();
        return new DtlsCertificate(cert.RawData, PrivateKeyFactory.CreateKey(pkcs8));
    }

    /// <summary>SHA-256 fingerprint of a DER certificate, as SDP writes it.</summary>
    public static string FingerprintOf(ReadOnlySpan<byte> der) => Convert.ToHexString(SHA256.HashData(der)).Chunk(2).Select(c => new string(c)).Aggregate((a, b) => a + ":" + b);
}
