using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Sightline.Rtp.Rtcp;
using Sightline.Rtp.Rtp;
using Sightline.Rtp.Sdp;
using Sightline.WebRtc.Dtls;
using Sightline.WebRtc.Srtp;
using Sightline.WebRtc.Stun;
using Sightline.WebRtc.Transport;

namespace Sightline.WebRtc.Client;

/// <summary>
/// The browser's side of a receive-only WebRTC connection, made of the same parts as the server (ICE controlling checks,
/// DTLS client, SRTP receiver): it offers, connects to an ICE-lite server, decrypts every packet, and sends NACK and PLI
/// like a browser. Used by tests and by the load harness to stand in for many viewers.
/// </summary>
public sealed class WebRtcClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly DtlsCertificate _certificate = DtlsCertificate.Create();
    private readonly string _ufrag = UdpMux.RandomString(4);
    private readonly string _pwd = UdpMux.RandomString(24);
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<uint, long> _highest = [];
    private readonly byte[] _rtcp = new byte[256];
    private DatagramBridge? _dtls;
    private DtlsEndpoint? _dtlsEndpoint;
    private SrtpContext? _receive;
    private SrtpContext? _sendRtcp;
    private IPEndPoint? _server;
    private string? _serverUfrag, _serverPwd, _serverFingerprint;
    private Task? _loop;
    private readonly TaskCompletionSource _stunDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WebRtcClient()
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 * 1024 * 1024 };
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    }

    public long PacketsReceived { get; private set; }
    public long BytesReceived { get; private set; }
    public long PacketsRejected { get; private set; }
    public long RtxReceived { get; private set; }
    public long FramesCompleted { get; private set; }
    public long Gaps { get; private set; }
    /// <summary>When false, the client stops its consent checks (to test the server's consent timeout).</summary>
    public bool KeepConsent { get; set; } = true;
    /// <summary>Called for every decrypted RTP packet (the packet, after SRTP), on the receive loop.</summary>
    public Action<ReadOnlyMemory<byte>>? PacketReceived { get; set; }
    /// <summary>When true, a gap in sequence numbers is NACKed at once, as a browser does.</summary>
    public bool SendNacks { get; set; } = true;

    /// <summary>A receive-only offer for one H.264 video m-line, as a browser makes (rtx, nack, pli, transport-cc).</summary>
    public string CreateOffer()
    {
        var sb = new StringBuilder();
        sb.Append("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n");
        sb.Append("m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\n");
        sb.Append($"a=ice-ufrag:{_ufrag}\r\na=ice-pwd:{_pwd}\r\na=fingerprint:sha-256 {_certificate.Fingerprint}\r\na=setup:actpass\r\na=mid:0\r\n");
        sb.Append("a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\na=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n");
        sb.Append("a=recvonly\r\na=rtcp-mux\r\na=rtpmap:96 H264/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 transport-cc\r\n");
        sb.Append("a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n");
        return sb.ToString();
    }

    /// <summary>Takes the server's answer, runs ICE checks and the DTLS handshake; returns when SRTP is ready.</summary>
    public async Task ConnectAsync(string answerSdp, TimeSpan timeout)
    {
        if (!SessionDescription.TryParse(answerSdp, out var answer, out var error)) throw new FormatException(error);
        var video = answer!.Media.First(m => m.Port != 0);
        _serverUfrag = video.Attribute("ice-ufrag");
        _serverPwd = video.Attribute("ice-pwd");
        _serverFingerprint = video.Attribute("fingerprint")!.Split(' ')[1];
        var candidate = video.Attributes.First(a => a.Name == "candidate" && a.Value!.Contains(" udp ", StringComparison.OrdinalIgnoreCase)).Value!.Split(' ');
        _server = new IPEndPoint(IPAddress.Parse(candidate[4]), int.Parse(candidate[5], System.Globalization.CultureInfo.InvariantCulture));
        _loop = Task.Run(() => ReceiveLoopAsync(_stop.Token));
        _ = ConsentLoopAsync(_stop.Token);
        await _stunDone.Task.WaitAsync(timeout);
        _dtls = new DatagramBridge(d => _socket.SendTo(d.Span, SocketFlags.None, _server));
        _dtlsEndpoint = new DtlsEndpoint(_certificate, _dtls);
        var keys = await _dtlsEndpoint.HandshakeAsync(asServer: false, _serverFingerprint, timeout, _stop.Token);
        _receive = keys.CreateReceiver(isServer: false);
        _sendRtcp = keys.CreateSender(isServer: false);
    }

    /// <summary>Asks for a keyframe (RFC 4585 §6.3.1).</summary>
    public void SendPli(uint mediaSsrc)
    {
        var p = _rtcp.AsSpan();
        p[0] = 0x81;
        p[1] = (byte)RtcpPacketType.PayloadSpecificFeedback;
        BinaryPrimitives.WriteUInt16BigEndian(p[2..], 2);
        BinaryPrimitives.WriteUInt32BigEndian(p[4..], 1);
        BinaryPrimitives.WriteUInt32BigEndian(p[8..], mediaSsrc);
        SendRtcp(12);
    }

    /// <summary>Asks for one lost packet (RFC 4585 §6.2.1 generic NACK).</summary>
    public void SendNack(uint mediaSsrc, ushort sequence)
    {
        var p = _rtcp.AsSpan();
        p[0] = 0x81;
        p[1] = (byte)RtcpPacketType.TransportFeedback;
        BinaryPrimitives.WriteUInt16BigEndian(p[2..], 3);
        BinaryPrimitives.WriteUInt32BigEndian(p[4..], 1);
        BinaryPrimitives.WriteUInt32BigEndian(p[8..], mediaSsrc);
        BinaryPrimitives.WriteUInt16BigEndian(p[12..], sequence);
        BinaryPrimitives.WriteUInt16BigEndian(p[14..], 0);
        SendRtcp(16);
    }

    // An RR per media SSRC seen (RFC 3550 §6.4.2), as a browser sends about every few seconds.
    private void SendReceiverReports()
    {
        KeyValuePair<uint, long>[] seen;
        lock (_highest) seen = [.. _highest];
        foreach (var (ssrc, highest) in seen)
        {
            var block = new ReceptionReport(ssrc, 0, (int)Math.Max(0, Gaps - RtxReceived), (uint)highest, 0, 0, 0);
            var length = ReceiverReport.Write(_rtcp, 1, block);
            SendRtcp(length);
        }
    }

    private void SendRtcp(int length)
    {
        if (_sendRtcp is null || _server is null) return;
        var n = _sendRtcp.ProtectRtcp(_rtcp, length);
        if (n > 0) _socket.SendTo(_rtcp.AsSpan(0, n), SocketFlags.None, _server);
    }

    private async Task ConsentLoopAsync(CancellationToken token)
    {
        var tx = new byte[12];
        while (!token.IsCancellationRequested)
        {
            if (KeepConsent || !_stunDone.Task.IsCompleted)
            {
                RandomNumberGenerator.Fill(tx);
                var buffer = new byte[256];
                var w = new StunWriter(buffer, StunMessage.BindingRequest, tx);
                w.Add(StunAttributeType.Username, Encoding.UTF8.GetBytes($"{_serverUfrag}:{_ufrag}"));
                var priority = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(priority, 1853824767);
                w.Add(StunAttributeType.Priority, priority);
                w.Add(StunAttributeType.IceControlling, RandomNumberGenerator.GetBytes(8));
                w.Add(StunAttributeType.UseCandidate, []);
                w.AddMessageIntegrity(Encoding.UTF8.GetBytes(_serverPwd!));
                w.AddFingerprint();
                try
                {
                    _socket.SendTo(buffer.AsSpan(0, w.Length), SocketFlags.None, _server!);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
            }
            if (_receive is not null) SendReceiverReports();
            try
            {
                await Task.Delay(_stunDone.Task.IsCompleted ? 2500 : 50, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken token)
    {
        var buffer = new byte[2048];
        while (!token.IsCancellationRequested)
        {
            int n;
            try
            {
                n = await _socket.ReceiveAsync(buffer, SocketFlags.None, token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (token.IsCancellationRequested) return;
                continue;
            }
            var packet = buffer.AsSpan(0, n);
            switch (PacketClassifier.Classify(packet))
            {
                case PacketKind.Stun:
                    if (StunMessage.TryParse(packet, out var stun) && stun.Type == StunMessage.BindingSuccess
                        && stun.VerifyIntegrity(Encoding.UTF8.GetBytes(_serverPwd!)))
                    {
                        _stunDone.TrySetResult();
                    }
                    break;
                case PacketKind.Dtls:
                    _dtls?.Deliver(packet);
                    break;
                case PacketKind.Rtp when _receive is not null:
                    var length = _receive.UnprotectRtp(buffer, n);
                    if (length < 0)
                    {
                        PacketsRejected++;
                        break;
                    }
                    OnRtp(buffer.AsMemory(0, length));
                    break;
            }
        }
    }

    private void OnRtp(ReadOnlyMemory<byte> packet)
    {
        if (!RtpPacket.TryParse(packet.Span, out var rtp)) return;
        PacketsReceived++;
        BytesReceived += packet.Length;
        if (rtp.PayloadType == 97)
        {
            RtxReceived++; // a retransmission: its first two payload bytes are the original sequence number
            PacketReceived?.Invoke(packet);
            return;
        }
        if (rtp.Marker) FramesCompleted++;
        var ext = (long)rtp.SequenceNumber;
        lock (_highest) OnSequence(rtp, ext);
        PacketReceived?.Invoke(packet);
    }

    private void OnSequence(RtpPacket rtp, long ext)
    {
        if (_highest.TryGetValue(rtp.Ssrc, out var highest))
        {
            var delta = (short)(rtp.SequenceNumber - (ushort)highest);
            ext = highest + delta;
            if (delta > 1)
            {
                Gaps += delta - 1;
                if (SendNacks)
                {
                    for (var s = highest + 1; s < ext; s++) SendNack(rtp.Ssrc, (ushort)s);
                }
            }
            if (ext > highest) _highest[rtp.Ssrc] = ext;
        }
        else
        {
            _highest[rtp.Ssrc] = ext;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _dtlsEndpoint?.Close();
        _socket.Dispose();
        if (_loop is not null) await _loop;
        _receive?.Dispose();
        _sendRtcp?.Dispose();
        _stop.Dispose();
    }
}
