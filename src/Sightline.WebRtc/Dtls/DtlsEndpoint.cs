using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Sightline.WebRtc.Srtp;

namespace Sightline.WebRtc.Dtls;

/// <summary>Why a DTLS handshake failed.</summary>
public sealed class DtlsHandshakeException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// DTLS 1.2 for DTLS-SRTP (RFC 5764) through BouncyCastle, in either role: negotiates <c>use_srtp</c>, requires the
/// peer's certificate and checks it against the SDP fingerprint, exports the SRTP keys. The handshake runs on its own
/// thread (BouncyCastle is blocking) and retransmits its flights itself.
/// </summary>
public sealed class DtlsEndpoint
{
    /// <summary>Profiles we accept, best first: AES-GCM is one pass on hardware AES.</summary>
    public static readonly SrtpProfile[] Profiles = [SrtpProfile.AeadAes128Gcm, SrtpProfile.AesCm128HmacSha1_80];

    private readonly DtlsCertificate _certificate;
    private readonly DatagramBridge _transport;
    private DtlsTransport? _session;

    public DtlsEndpoint(DtlsCertificate certificate, DatagramBridge transport)
    {
        _certificate = certificate;
        _transport = transport;
    }

    /// <summary>The peer certificate's SHA-256 fingerprint once the handshake is done.</summary>
    public string? PeerFingerprint { get; private set; }

    /// <summary>Runs the handshake; <paramref name="expectedFingerprint"/> (from the peer's SDP) must match its certificate.</summary>
    public Task<SrtpKeyingMaterial> HandshakeAsync(bool asServer, string? expectedFingerprint, TimeSpan timeout, CancellationToken cancel) =>
        Task.Factory.StartNew(() => Handshake(asServer, expectedFingerprint, timeout), cancel, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Sends close_notify and stops.</summary>
    public void Close()
    {
        try
        {
            _session?.Close();
        }
        catch (Exception e) when (e is IOException or TlsException)
        {
        }
        _transport.Close();
    }

    private SrtpKeyingMaterial Handshake(bool asServer, string? expectedFingerprint, TimeSpan timeout)
    {
        var crypto = new BcTlsCrypto(new SecureRandom());
        var certificate = new Certificate([new BcTlsCertificate(crypto, _certificate.Der)]);
        try
        {
            SrtpPeer peer;
            if (asServer)
            {
                var server = new SrtpServer(crypto, certificate, _certificate.PrivateKey, (int)timeout.TotalMilliseconds);
                _session = new DtlsServerProtocol().Accept(server, _transport);
                peer = server;
            }
            else
            {
                var client = new SrtpClient(crypto, certificate, _certificate.PrivateKey, (int)timeout.TotalMilliseconds);
                _session = new DtlsClientProtocol().Connect(client, _transport);
                peer = client;
            }
            var peerDer = peer.PeerCertificate?.GetCertificateAt(0).GetEncoded() ?? throw new DtlsHandshakeException("the peer sent no certificate");
            PeerFingerprint = DtlsCertificate.FingerprintOf(peerDer);
            if (expectedFingerprint is not null && !string.Equals(PeerFingerprint, expectedFingerprint, StringComparison.OrdinalIgnoreCase))
            {
                _session.Close();
                throw new DtlsHandshakeException("the peer's certificate does not match the fingerprint in its SDP");
            }
            return SrtpKeyingMaterial.Split(peer.Profile, peer.KeyingMaterial!);
        }
        catch (TlsFatalAlert e)
        {
            throw new DtlsHandshakeException($"DTLS alert: {e.AlertDescription}", e);
        }
        catch (IOException e)
        {
            throw new DtlsHandshakeException($"DTLS handshake failed: {e.Message}", e);
        }
    }

    private interface SrtpPeer
    {
        SrtpProfile Profile { get; }
        byte[]? KeyingMaterial { get; }
        Certificate? PeerCertificate { get; }
    }

    private static TlsCredentialedSigner Signer(TlsContext context, BcTlsCrypto crypto, Certificate certificate, Org.BouncyCastle.Crypto.AsymmetricKeyParameter key) =>
        new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), crypto, key, certificate, new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));

    private sealed class SrtpServer(BcTlsCrypto crypto, Certificate certificate, Org.BouncyCastle.Crypto.AsymmetricKeyParameter key, int timeoutMs)
        : DefaultTlsServer(crypto), SrtpPeer
    {
        public SrtpProfile Profile { get; private set; }
        public byte[]? KeyingMaterial { get; private set; }
        public Certificate? PeerCertificate { get; private set; }

        public override int GetHandshakeTimeoutMillis() => timeoutMs;

        protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

        protected override int[] GetSupportedCipherSuites() =>
        [
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        ];

        protected override TlsCredentialedSigner GetECDsaSignerCredentials() => Signer(m_context, crypto, certificate, key);

        public override CertificateRequest GetCertificateRequest() =>
            new([ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign],
                TlsUtilities.GetDefaultSupportedSignatureAlgorithms(m_context), null);

        public override void NotifyClientCertificate(Certificate clientCertificate) => PeerCertificate = clientCertificate;

        public override void ProcessClientExtensions(IDictionary<int, byte[]> clientExtensions)
        {
            base.ProcessClientExtensions(clientExtensions);
            var offered = TlsSrtpUtilities.GetUseSrtpExtension(clientExtensions)?.ProtectionProfiles
                ?? throw new TlsFatalAlert(AlertDescription.handshake_failure); // WebRTC without use_srtp is not WebRTC
            foreach (var p in Profiles)
            {
                if (Array.IndexOf(offered, (int)p) >= 0)
                {
                    Profile = p;
                    return;
                }
            }
            throw new TlsFatalAlert(AlertDescription.handshake_failure);
        }

        public override IDictionary<int, byte[]> GetServerExtensions()
        {
            var extensions = TlsExtensionsUtilities.EnsureExtensionsInitialised(base.GetServerExtensions());
            TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData([(int)Profile], TlsUtilities.EmptyBytes));
            return extensions;
        }

        public override void NotifyHandshakeComplete()
        {
            base.NotifyHandshakeComplete();
            KeyingMaterial = m_context.ExportKeyingMaterial(ExporterLabel.dtls_srtp, null, SrtpKeyingMaterial.Length(Profile));
        }
    }

    private sealed class SrtpClient(BcTlsCrypto crypto, Certificate certificate, Org.BouncyCastle.Crypto.AsymmetricKeyParameter key, int timeoutMs)
        : DefaultTlsClient(crypto), SrtpPeer
    {
        public SrtpProfile Profile { get; private set; }
        public byte[]? KeyingMaterial { get; private set; }
        public Certificate? PeerCertificate { get; private set; }

        public override int GetHandshakeTimeoutMillis() => timeoutMs;

        protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

        protected override int[] GetSupportedCipherSuites() =>
        [
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        ];

        public override IDictionary<int, byte[]> GetClientExtensions()
        {
            var extensions = TlsExtensionsUtilities.EnsureExtensionsInitialised(base.GetClientExtensions());
            TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData(Array.ConvertAll(Profiles, p => (int)p), TlsUtilities.EmptyBytes));
            return extensions;
        }

        public override void ProcessServerExtensions(IDictionary<int, byte[]> serverExtensions)
        {
            base.ProcessServerExtensions(serverExtensions);
            var chosen = TlsSrtpUtilities.GetUseSrtpExtension(serverExtensions)?.ProtectionProfiles;
            if (chosen is not { Length: 1 }) throw new TlsFatalAlert(AlertDescription.illegal_parameter);
            Profile = (SrtpProfile)chosen[0];
        }

        public override TlsAuthentication GetAuthentication() => new ClientAuthentication(this);

        internal TlsCredentials Credentials() => Signer(m_context, crypto, certificate, key);

        public override void NotifyHandshakeComplete()
        {
            base.NotifyHandshakeComplete();
            KeyingMaterial = m_context.ExportKeyingMaterial(ExporterLabel.dtls_srtp, null, SrtpKeyingMaterial.Length(Profile));
        }

        private sealed class ClientAuthentication(SrtpClient client) : TlsAuthentication
        {
            public void NotifyServerCertificate(TlsServerCertificate serverCertificate) => client.PeerCertificate = serverCertificate.Certificate;

            public TlsCredentials GetClientCredentials(CertificateRequest certificateRequest) => client.Credentials();
        }
    }
}
