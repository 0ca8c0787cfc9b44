using Sightline.WebRtc.Dtls;
using Sightline.WebRtc.Srtp;

namespace Sightline.WebRtc.Tests.Dtls;

public class DtlsHandshakeTests
{
    private static (DatagramBridge Server, DatagramBridge Client) Wire(Func<int, bool>? dropServerToClient = null)
    {
        DatagramBridge? server = null, client = null;
        var count = 0;
        server = new DatagramBridge(d =>
        {
            if (dropServerToClient?.Invoke(Interlocked.Increment(ref count)) == true) return;
            client!.Deliver(d.Span);
        });
        client = new DatagramBridge(d => server.Deliver(d.Span));
        return (server, client);
    }

    [Fact]
    public async Task TwoEndpoints_Handshake_AgreeOnKeys_AndCheckFingerprints()
    {
        var serverCert = DtlsCertificate.Create();
        var clientCert = DtlsCertificate.Create();
        Assert.Matches("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", serverCert.Fingerprint);
        var (s, c) = Wire();
        var server = new DtlsEndpoint(serverCert, s);
        var client = new DtlsEndpoint(clientCert, c);
        var serverTask = server.HandshakeAsync(true, clientCert.Fingerprint, TimeSpan.FromSeconds(10), CancellationToken.None);
        var clientTask = client.HandshakeAsync(false, serverCert.Fingerprint, TimeSpan.FromSeconds(10), CancellationToken.None);
        var serverKeys = await serverTask;
        var clientKeys = await clientTask;

        Assert.Equal(SrtpProfile.AeadAes128Gcm, serverKeys.Profile);
        Assert.Equal(serverKeys.ServerKey, clientKeys.ServerKey);
        Assert.Equal(serverKeys.ClientSalt, clientKeys.ClientSalt);
        Assert.Equal(clientCert.Fingerprint, server.PeerFingerprint);
        Assert.Equal(serverCert.Fingerprint, client.PeerFingerprint);

        // The keys work: what the server protects, the client unprotects.
        using var tx = serverKeys.CreateSender(isServer: true);
        using var rx = clientKeys.CreateReceiver(isServer: false);
        var packet = new byte[12 + 20 + 16];
        packet[0] = 0x80;
        packet[1] = 96;
        var length = tx.ProtectRtp(packet, 32);
        Assert.Equal(32, rx.UnprotectRtp(packet, length));
        server.Close();
        client.Close();
    }

    [Fact]
    public async Task WrongFingerprint_FailsTheHandshake()
    {
        var (s, c) = Wire();
        var server = new DtlsEndpoint(DtlsCertificate.Create(), s);
        var client = new DtlsEndpoint(DtlsCertificate.Create(), c);
        var serverTask = server.HandshakeAsync(true, DtlsCertificate.Create().Fingerprint, TimeSpan.FromSeconds(5), CancellationToken.None);
        _ = client.HandshakeAsync(false, null, TimeSpan.FromSeconds(5), CancellationToken.None);
        await Assert.ThrowsAsync<DtlsHandshakeException>(() => serverTask);
        client.Close();
    }

    [Fact]
    public async Task LostFlight_IsRetransmitted()
    {
        // Drop the server's first two datagrams: BouncyCastle must retransmit the flight.
        var (s, c) = Wire(n => n <= 2);
        var cert = DtlsCertificate.Create();
        var server = new DtlsEndpoint(cert, s);
        var client = new DtlsEndpoint(DtlsCertificate.Create(), c);
        var serverTask = server.HandshakeAsync(true, null, TimeSpan.FromSeconds(20), CancellationToken.None);
        var keys = await client.HandshakeAsync(false, cert.Fingerprint, TimeSpan.FromSeconds(20), CancellationToken.None);
        Assert.Equal((await serverTask).ServerKey, keys.ServerKey);
    }
}
