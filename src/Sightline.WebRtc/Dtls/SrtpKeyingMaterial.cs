using Sightline.WebRtc.Srtp;

namespace Sightline.WebRtc.Dtls;

/// <summary>
/// The SRTP master keys exported by DTLS (RFC 5764 §4.2): client key, server key, client salt, server salt, from the
/// <c>EXTRACTOR-dtls_srtp</c> exporter.
/// </summary>
public sealed record SrtpKeyingMaterial(SrtpProfile Profile, byte[] ClientKey, byte[] ClientSalt, byte[] ServerKey, byte[] ServerSalt)
{
    public static SrtpKeyingMaterial Split(SrtpProfile profile, byte[] material)
    {
        var k = SrtpProfiles.KeyLength(profile);
        var s = SrtpProfiles.SaltLength(profile);
        return new SrtpKeyingMaterial(profile,
            material[..k], material[(2 * k)..(2 * k + s)],
            material[k..(2 * k)], material[(2 * k + s)..(2 * k + 2 * s)]);
    }

    public static int Length(SrtpProfile profile) => 2 * (SrtpProfiles.KeyLength(profile) + SrtpProfiles.SaltLength(profile));

    /// <summary>Our sending context: as DTLS server we protect with the server keys, as client with the client keys.</summary>
    public SrtpContext CreateSender(bool isServer) => isServer ? new SrtpContext(Profile, ServerKey, ServerSalt) : new SrtpContext(Profile, ClientKey, ClientSalt);

    public SrtpContext CreateReceiver(bool isServer) => isServer ? new SrtpContext(Profile, ClientKey, ClientSalt) : new SrtpContext(Profile, ServerKey, ServerSalt);
}
