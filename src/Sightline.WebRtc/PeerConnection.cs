using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Sightline.Rtp.Packetization;
using Sightline.Rtp.Rtcp;
using Sightline.Rtp.Rtp;
using Sightline.WebRtc.Dtls;
using Sightline.WebRtc.Rtcp;
using Sightline.WebRtc.Sdp;
using Sightline.WebRtc.Srtp;
using Sightline.WebRtc.Stun;
using Sightline.WebRtc.Transport;

namespace Sightline.WebRtc;

/// <summary>Where a peer connection stands.</summary>
public enum PeerState { New, Checking, Connected, Failed, Closed }

/// <summary>Which ICE candidates an answer carries.</summary>
public enum IceTransports { UdpAndTcp, UdpOnly, TcpOnly }

/// <summary>A track the server offers to send: its kind and codec, and for H.264 the stream's profile-level-id.</summary>
public sealed record TrackSpec(string Kind, MediaCodec Codec, string? ProfileLevelId = null)
{
    /// <summary>Answering: the offered payload type to send on, chosen by the caller (null: the first that fits).</summary>
    public int? PayloadType { get; init; }
    /// <summary>The fmtp the answer states for the payload type: what is really sent (null: the offer's, or for H.264
    /// the stream's <see cref="ProfileLevelId"/>).</summary>
    public IReadOnlyDictionary<string, string>? Fmtp { get; init; }
}

/// <summary>
/// The server side of one browser's WebRTC connection: answers its offer (ICE-lite, DTLS passive), answers its
/// connectivity checks, runs the DTLS handshake, then protects and sends frames and handles its RTCP (NACK answered
/// from history, PLI/FIR raised as keyframe requests, REMB raised as a bandwidth estimate). A peer that stops sending
/// connectivity checks is failed after the consent timeout (RFC 7675).
/// </summary>
public sealed class PeerConnection : IDisposable
{
    public static readonly TimeSpan ConsentTimeout = TimeSpan.FromSeconds(30);

    private readonly UdpMux _mux;
    private readonly DtlsCertificate _certificate;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly byte[] _localPwd;
    private readonly List<OutboundTrack> _tracks = [];
    private readonly byte[] _sendBuffer = new byte[1500];
    private readonly byte[] _rtcpBuffer = new byte[1500];
    private readonly Lock _sendGate = new();
    private RemoteOffer? _remote;
    private bool _dtlsServer = true;
    private List<AnsweredMedia>? _offered;
    private IReadOnlyList<string> _offeredCandidates = [];
    private MediaPath? _path;
    private DatagramBridge? _dtlsTransport;
    private DtlsEndpoint? _dtls;
    private SrtpContext? _srtpSend;
    private SrtpContext? _srtcpReceive;
    private long _lastConsentTicks;
    private ushort _transportSequence;
    private readonly (long Ticks, int Size)[] _sentTransport = new (long, int)[4096];
    private readonly List<TransportFeedback.PacketStatus> _feedback = [];
    private long _rateBytes, _rateStartUs = long.MinValue, _rateEndUs, _rateStartSent, _rateEndSent;
    private int _rateReported, _rateLost;
    private readonly long _epochTicks;

    public PeerConnection(UdpMux mux, DtlsCertificate certificate, ILogger logger, TimeProvider? time = null)
    {
        _mux = mux;
        _certificate = certificate;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        LocalUfrag = UdpMux.RandomString(8);
        LocalPwd = UdpMux.RandomString(24);
        _localPwd = UdpMux.Utf8(LocalPwd);
        _epochTicks = _time.GetTimestamp();
        _mux.Register(this);
    }

    public string LocalUfrag { get; }
    public string LocalPwd { get; }
    public PeerState State { get; private set; } = PeerState.New;
    public IReadOnlyList<OutboundTrack> Tracks => _tracks;
    public IPEndPoint? RemoteEndPoint => _path?.Remote;
    /// <summary><c>udp</c> or <c>tcp</c> once the browser's checks chose a path.</summary>
    public string? TransportProtocol => _path?.Protocol;
    public SrtpProfile? Profile => _srtpSend?.Profile;
    public long RtcpPacketsReceived { get; private set; }
    public long RtcpPacketsRejected { get; private set; }

    public event Action<PeerConnection, PeerState>? StateChanged;
    /// <summary>The browser asked for a keyframe (PLI or FIR) on a track.</summary>
    public event Action<PeerConnection, OutboundTrack>? KeyframeRequested;
    /// <summary>A bandwidth estimate for this viewer: its REMB, or the delivery rate measured from transport-wide feedback.</summary>
    public event Action<PeerConnection, BandwidthEstimate>? BandwidthEstimated;

    /// <summary>
    /// Answers a browser's offer: one outbound track per offered m-line we can serve (matching kind and codec), the rest
    /// inactive. <paramref name="candidateAddresses"/> are the host addresses announced (at least one).
    /// </summary>
    public string Answer(string offerSdp, IReadOnlyList<TrackSpec> tracks, IReadOnlyList<IPAddress> candidateAddresses, string streamId = "sightline", IceTransports transports = IceTransports.UdpAndTcp)
        => Answer(RemoteOffer.Parse(offerSdp), tracks, candidateAddresses, streamId, transports);

    /// <summary>As <see cref="Answer(string, IReadOnlyList{TrackSpec}, IReadOnlyList{IPAddress}, string, IceTransports)"/>, for an offer read already.</summary>
    public string Answer(RemoteOffer offer, IReadOnlyList<TrackSpec> tracks, IReadOnlyList<IPAddress> candidateAddresses, string streamId = "sightline", IceTransports transports = IceTransports.UdpAndTcp)
    {
        _remote = offer;
        var answered = new List<AnsweredMedia>();
        var remaining = tracks.ToList();
        foreach (var media in _remote.Media)
        {
            OfferedCodec? codec = null;
            var spec = remaining.FirstOrDefault(t => t.Kind == media.Kind);
            if (spec is not null && media.Direction is "recvonly" or "sendrecv")
            {
                codec = spec.PayloadType is { } pt ? media.Codecs.FirstOrDefault(c => c.PayloadType == pt) : spec.Codec switch
                {
                    MediaCodec.H264 => RemoteOffer.ChooseH264(media, spec.ProfileLevelId),
                    MediaCodec.VP8 => media.Codecs.FirstOrDefault(c => c.Name.Equals("VP8", StringComparison.OrdinalIgnoreCase)),
                    MediaCodec.Opus => media.Codecs.FirstOrDefault(c => c.Name.Equals("opus", StringComparison.OrdinalIgnoreCase)),
                    MediaCodec.PCMU => media.Codecs.FirstOrDefault(c => c.Name.Equals("PCMU", StringComparison.OrdinalIgnoreCase)),
                    MediaCodec.PCMA => media.Codecs.FirstOrDefault(c => c.Name.Equals("PCMA", StringComparison.OrdinalIgnoreCase)),
                    _ => null,
                };
                // The answer states what is sent: the caller's fmtp, or for H.264 the stream's own profile and level.
                if (codec is not null && spec.Fmtp is { } fmtp) codec = codec with { Fmtp = fmtp };
                else if (codec is not null && spec.Codec == MediaCodec.H264 && spec.ProfileLevelId is { Length: 6 } pli)
                {
                    codec = codec with { Fmtp = new Dictionary<string, string> { ["level-asymmetry-allowed"] = "1", ["packetization-mode"] = "1", ["profile-level-id"] = pli } };
                }
            }
            var ssrc = (uint)Random.Shared.Next(1, int.MaxValue);
            uint? rtxSsrc = codec?.RtxPayloadType is not null ? (uint)Random.Shared.Next(1, int.MaxValue) : null;
            if (codec is not null)
            {
                remaining.Remove(spec!);
                _tracks.Add(new OutboundTrack(media.Kind, media.Mid, codec.Name, codec.PayloadType, codec.ClockRate, ssrc, codec.RtxPayloadType, rtxSsrc, media.Extensions));
            }
            answered.Add(new AnsweredMedia(media, codec, ssrc, streamId, $"{streamId}-{media.Kind}", rtxSsrc));
        }
        var candidates = Candidates(candidateAddresses, transports);
        State = PeerState.Checking;
        StateChanged?.Invoke(this, State);
        return AnswerBuilder.Build(LocalUfrag, LocalPwd, _certificate.Fingerprint, answered, candidates, ((ulong)Random.Shared.NextInt64()).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The other flow (openvidu-browser with <c>mediaServer:"mediasoup"</c>): we offer one sendonly m-line per track with
    /// our codecs, RTX and header extensions, ICE-lite and <c>setup:actpass</c>; <see cref="SetRemoteAnswer"/> completes it.
    /// </summary>
    public string CreateOffer(IReadOnlyList<TrackSpec> tracks, IReadOnlyList<IPAddress> candidateAddresses, string streamId = "sightline", IceTransports transports = IceTransports.UdpAndTcp)
        => CreateOffer(tracks.Select(t => (IReadOnlyList<TrackSpec>)[t]).ToList(), candidateAddresses, streamId, transports);

    /// <summary>
    /// As <see cref="CreateOffer(IReadOnlyList{TrackSpec}, IReadOnlyList{IPAddress}, string, IceTransports)"/> with
    /// several codecs on an m-line, in order of preference: the browser's answer picks one (RFC 8829 §5.3.1), and
    /// <see cref="Tracks"/> then hold what it picked. Each codec's payload type is its <see cref="TrackSpec.PayloadType"/>
    /// or one given here, so the caller can tell them apart.
    /// </summary>
    public string CreateOffer(IReadOnlyList<IReadOnlyList<TrackSpec>> mediaLines, IReadOnlyList<IPAddress> candidateAddresses, string streamId = "sightline", IceTransports transports = IceTransports.UdpAndTcp)
    {
        _offered = [];
        var extensions = new Dictionary<string, int>
        {
            ["urn:ietf:params:rtp-hdrext:sdes:mid"] = 1,
            ["http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"] = 2,
            ["http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"] = 3,
        };
        string[] videoFeedback = ["nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"];
        var nextVideoPt = 96;
        for (var i = 0; i < mediaLines.Count; i++)
        {
            var line = mediaLines[i];
            var kind = line[0].Kind;
            var mid = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var codecs = new List<OfferedCodec>();
            foreach (var t in line)
            {
                OfferedCodec codec;
                if (t.Codec is MediaCodec.H264 or MediaCodec.VP8)
                {
                    var pt = t.PayloadType ?? nextVideoPt;
                    nextVideoPt = Math.Max(nextVideoPt, pt + 2);
                    codec = t.Codec == MediaCodec.H264
                        ? new OfferedCodec(pt, "H264", 90000, 1, t.Fmtp ?? new Dictionary<string, string>
                        {
                            ["level-asymmetry-allowed"] = "1", ["packetization-mode"] = "1", ["profile-level-id"] = t.ProfileLevelId ?? "42e01f",
                        }, videoFeedback, pt + 1)
                        : new OfferedCodec(pt, "VP8", 90000, 1, new Dictionary<string, string>(), videoFeedback, pt + 1);
                }
                else
                {
                    codec = t.Codec switch
                    {
                        MediaCodec.Opus => new OfferedCodec(111, "opus", 48000, 2, new Dictionary<string, string> { ["minptime"] = "10", ["useinbandfec"] = "1" }, ["transport-cc"], null),
                        MediaCodec.PCMA => new OfferedCodec(8, "PCMA", 8000, 1, new Dictionary<string, string>(), [], null),
                        _ => new OfferedCodec(0, "PCMU", 8000, 1, new Dictionary<string, string>(), [], null),
                    };
                }
                codecs.Add(codec);
            }
            var media = new OfferedMedia(kind, mid, "recvonly", codecs, extensions);
            var ssrc = (uint)Random.Shared.Next(1, int.MaxValue);
            uint? rtxSsrc = codecs.Any(c => c.RtxPayloadType is not null) ? (uint)Random.Shared.Next(1, int.MaxValue) : null;
            // Until the answer says otherwise, the track sends the first codec.
            var first = codecs[0];
            _tracks.Add(new OutboundTrack(kind, mid, first.Name, first.PayloadType, first.ClockRate, ssrc, first.RtxPayloadType, rtxSsrc, extensions));
            _offered.Add(new AnsweredMedia(media, first, ssrc, streamId, $"{streamId}-{kind}", rtxSsrc) { Alternatives = codecs });
        }
        _offeredCandidates = Candidates(candidateAddresses, transports);
        State = PeerState.Checking;
        StateChanged?.Invoke(this, State);
        var sdp = AnswerBuilder.Build(LocalUfrag, LocalPwd, _certificate.Fingerprint, _offered, _offeredCandidates, ((ulong)Random.Shared.NextInt64()).ToString(System.Globalization.CultureInfo.InvariantCulture));
        return sdp.Replace("a=setup:passive", "a=setup:actpass", StringComparison.Ordinal);
    }

    /// <summary>
    /// Takes the browser's answer to <see cref="CreateOffer(IReadOnlyList{IReadOnlyList{TrackSpec}}, IReadOnlyList{IPAddress}, string, IceTransports)"/>:
    /// its ICE credentials and fingerprint, its DTLS role (<c>active</c> makes us the DTLS server, <c>passive</c> the
    /// client), and which m-lines it accepted with which of our codecs (the first of ours it lists).
    /// </summary>
    public void SetRemoteAnswer(string answerSdp)
    {
        if (_offered is null) throw new InvalidOperationException("no offer was made");
        _remote = RemoteOffer.Parse(answerSdp);
        _dtlsServer = !_remote.Setup.Equals("passive", StringComparison.OrdinalIgnoreCase);
        foreach (var media in _remote.Media)
        {
            var index = _tracks.FindIndex(t => t.Mid == media.Mid);
            if (index < 0) continue;
            var ours = _offered.FirstOrDefault(o => o.Offer.Mid == media.Mid)?.Alternatives ?? [];
            var picked = media.Codecs.Select(c => ours.FirstOrDefault(o => o.PayloadType == c.PayloadType)).FirstOrDefault(o => o is not null);
            var track = _tracks[index];
            // A rejected m-line (no codec of ours in the answer) loses its track.
            if (picked is null) _tracks.RemoveAt(index);
            else if (picked.PayloadType != track.PayloadType)
            {
                _tracks[index] = new OutboundTrack(track.Kind, track.Mid, picked.Name, picked.PayloadType, picked.ClockRate, track.Ssrc, picked.RtxPayloadType, track.RtxSsrc, _offered.First(o => o.Offer.Mid == media.Mid).Offer.Extensions);
            }
        }
    }

    private List<string> Candidates(IReadOnlyList<IPAddress> addresses, IceTransports transports)
    {
        var candidates = new List<string>();
        var port = _mux.LocalEndPoint.Port;
        for (var i = 0; i < addresses.Count; i++)
        {
            if (transports != IceTransports.TcpOnly) candidates.Add($"candidate:{i + 1} 1 udp {2130706431 - i} {addresses[i]} {port} typ host generation 0");
            // RFC 6544 passive candidates, ranked below UDP: for viewers whose network blocks UDP.
            if (transports != IceTransports.UdpOnly && _mux.TcpAvailable) candidates.Add($"candidate:{100 + i} 1 tcp {1518280447 - i} {addresses[i]} {port} typ host tcptype passive generation 0");
        }
        return candidates;
    }

    /// <summary>
    /// Sends one packetized frame on a track: per packet only the header is written, the payload copied once into this
    /// peer's buffer, protected and sent. Frames before the first keyframe are skipped (a decoder cannot use them).
    /// </summary>
    public void SendFrame(OutboundTrack track, PacketizedFrame frame) => SendFrame(track, frame, null);

    /// <summary>A batch for a fan-out loop: frames sent with it to many peers leave in few system calls.</summary>
    public SendBatch CreateSendBatch() => new(_mux);

    /// <summary>
    /// As <see cref="SendFrame(OutboundTrack, PacketizedFrame)"/>, but UDP datagrams are queued in <paramref name="batch"/>
    /// (the caller flushes it once the frame went to every viewer).
    /// </summary>
    public void SendFrame(OutboundTrack track, PacketizedFrame frame, SendBatch? batch)
    {
        if (State != PeerState.Connected || _srtpSend is null || _path is null) return;
        if (track.WaitingForKeyframe)
        {
            if (track.Kind == "video" && !frame.IsKeyframe) return;
            track.WaitingForKeyframe = false;
        }
        lock (_sendGate)
        {
            if (_disposed) return;
            var timestamp = frame.RtpTimestamp + track.TimestampOffset;
            for (var i = 0; i < frame.Payloads.Length; i++)
            {
                var seq = track.NextSequence++;
                track.Remember(seq, frame, i, timestamp);
                SendPacket(track, frame, i, seq, timestamp, retransmission: false, batch);
            }
            track.FramesSent++;
        }
    }

    /// <summary>
    /// Sends about <paramref name="bytes"/> of padding to probe the viewer's link: the track's most recent packets again
    /// over RTX (the browser already has them and drops the copies, while transport-wide feedback reports their arrival).
    /// Does nothing without RTX. Returns the bytes sent.
    /// </summary>
    public int SendPadding(OutboundTrack track, int bytes, SendBatch? batch = null)
    {
        if (State != PeerState.Connected || _srtpSend is null || _path is null || track.RtxSsrc is null || bytes <= 0) return 0;
        var sent = 0;
        lock (_sendGate)
        {
            if (_disposed) return 0;
            var before = track.BytesSent;
            var seq = (ushort)(track.NextSequence - 1);
            for (var n = 0; n < 64 && sent < bytes; n++, seq--)
            {
                if (!track.TryRecall(seq, out var entry)) break;
                SendPacket(track, entry.Frame!, entry.Index, entry.Sequence, entry.Timestamp, retransmission: true, batch);
                sent = (int)(track.BytesSent - before);
            }
            track.PaddingBytes += sent;
        }
        return sent;
    }

    /// <summary>Closes the connection (DTLS close_notify) and forgets it.</summary>
    public void Close()
    {
        if (State == PeerState.Closed) return;
        SetState(PeerState.Closed);
        Dispose();
    }

    /// <summary>Called on a timer: fails the peer when the browser stopped its consent checks (RFC 7675 §5.1).</summary>
    public void CheckConsent()
    {
        if (State is not (PeerState.Checking or PeerState.Connected)) return;
        var last = Interlocked.Read(ref _lastConsentTicks);
        if (last != 0 && _time.GetElapsedTime(last) > ConsentTimeout) SetState(PeerState.Failed);
    }

    public void Dispose()
    {
        _mux.Unregister(this);
        _dtls?.Close();
        // Under the send lock: a fan-out thread never uses the SRTP contexts while they are freed.
        lock (_sendGate)
        {
            _disposed = true;
            _srtpSend?.Dispose();
            _srtcpReceive?.Dispose();
        }
    }

    private bool _disposed;

    /// <summary>A connectivity check arrived on <paramref name="path"/>; true when it was valid (answered with success).</summary>
    internal bool OnStun(StunMessage message, MediaPath path)
    {
        if (message.Type != StunMessage.BindingRequest || _remote is null) return false;
        // RFC 8489 §9.2.4: MESSAGE-INTEGRITY-SHA256 when the peer uses it, else MESSAGE-INTEGRITY.
        var sha256 = message.Has(StunAttributeType.MessageIntegritySha256);
        var valid = sha256 ? message.VerifyIntegritySha256(_localPwd) : message.VerifyIntegrity(_localPwd);
        if (!message.VerifyFingerprint() || !valid)
        {
            // RFC 5389 §10.1.2: a bad MESSAGE-INTEGRITY gets a 401.
            Respond(message, path, error: 401);
            return false;
        }
        Interlocked.Exchange(ref _lastConsentTicks, _time.GetTimestamp());
        Respond(message, path, error: 0);
        // ICE-lite: the browser (controlling) nominates; until it does, the first working path is used.
        if (_path is null || message.Has(StunAttributeType.UseCandidate) && (!path.Remote.Equals(_path.Remote) || path.Protocol != _path.Protocol))
        {
            _path = path;
            if (path is UdpPath) _mux.Bind(path.Remote, this);
        }
        // As DTLS client (the browser answered setup:passive) we start the handshake once a path exists.
        if (!_dtlsServer) EnsureDtls();
        return true;
    }

    /// <summary>The ICE-TCP connection the peer used went away.</summary>
    internal void OnPathClosed(MediaPath path)
    {
        if (ReferenceEquals(_path, path)) SetState(PeerState.Failed);
    }

    internal void OnPacket(PacketKind kind, ReadOnlySpan<byte> packet)
    {
        switch (kind)
        {
            case PacketKind.Dtls:
                EnsureDtls();
                _dtlsTransport!.Deliver(packet);
                break;
            case PacketKind.Rtcp when _srtcpReceive is not null:
                var copy = _rtcpBuffer.AsSpan(0, packet.Length);
                packet.CopyTo(copy);
                int length;
                lock (_sendGate)
                {
                    length = _disposed ? -1 : _srtcpReceive.UnprotectRtcp(copy, packet.Length);
                }
                if (length < 0)
                {
                    RtcpPacketsRejected++;
                    return;
                }
                RtcpPacketsReceived++;
                HandleRtcp(copy[..length]);
                break;
        }
    }

    private void EnsureDtls()
    {
        if (_dtls is not null) return;
        _dtlsTransport = new DatagramBridge(d => _path?.Send(d.Span));
        _dtls = new DtlsEndpoint(_certificate, _dtlsTransport);
        var expected = _remote!.Fingerprint;
        _ = RunHandshakeAsync(expected);
    }

    private async Task RunHandshakeAsync(string expectedFingerprint)
    {
        try
        {
            var keys = await _dtls!.HandshakeAsync(asServer: _dtlsServer, expectedFingerprint, TimeSpan.FromSeconds(15), CancellationToken.None);
            _srtpSend = keys.CreateSender(isServer: _dtlsServer);
            _srtcpReceive = keys.CreateReceiver(isServer: _dtlsServer);
            SetState(PeerState.Connected);
        }
        catch (DtlsHandshakeException e)
        {
            _logger.LogWarning("WebRTC peer {Ufrag}: {Reason}", LocalUfrag, e.Message);
            SetState(PeerState.Failed);
        }
    }

    private void SendPacket(OutboundTrack track, PacketizedFrame frame, int index, ushort seq, uint timestamp, bool retransmission, SendBatch? batch = null)
    {
        var payload = frame.Payload(index);
        var udp = batch is not null ? _path as UdpPath : null;
        var buffer = udp is not null ? batch!.NextSlot() : _sendBuffer.AsSpan();
        var marker = index == frame.Payloads.Length - 1;
        int length;
        if (retransmission && track.RtxPayloadType is { } rtxPt && track.RtxSsrc is { } rtxSsrc)
        {
            // RFC 4588 §4: the RTX packet carries the original sequence number in front of the original payload.
            var header = WriteHeader(buffer, track, marker, (byte)rtxPt, track.NextRtxSequence++, timestamp, rtxSsrc, payload.Length + 2);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[header..], seq);
            payload.CopyTo(buffer[(header + 2)..]);
            length = header + 2 + payload.Length;
        }
        else
        {
            var header = WriteHeader(buffer, track, marker, (byte)track.PayloadType, seq, timestamp, track.Ssrc, payload.Length);
            payload.CopyTo(buffer[header..]);
            length = header + payload.Length;
        }
        length = _srtpSend!.ProtectRtp(buffer, length);
        if (length < 0) return;
        if (!retransmission)
        {
            track.LastTimestamp = timestamp;
            track.LastSendTicks = _time.GetTimestamp();
            if (_mux.ShouldDrop()) return;
        }
        if (udp is not null) batch!.Commit(length, udp.Address);
        else _path!.Send(buffer[..length]);
        track.PacketsSent++;
        track.BytesSent += length;
    }

    /// <summary>
    /// Writes the RTP header with the negotiated one-byte header extensions (RFC 8285): sdes:mid, abs-send-time and
    /// the transport-wide sequence number, whose send time is remembered for transport-wide feedback.
    /// </summary>
    private int WriteHeader(Span<byte> buffer, OutboundTrack track, bool marker, byte payloadType, ushort seq, uint timestamp, uint ssrc, int payloadLength)
    {
        var length = RtpPacket.WriteHeader(buffer, marker, payloadType, seq, timestamp, ssrc);
        if (track.MidExtension == 0 && track.AbsSendTimeExtension == 0 && track.TransportCcExtension == 0) return length;
        buffer[0] |= 0x10;
        buffer[12] = 0xBE;
        buffer[13] = 0xDE;
        var o = 16;
        if (track.MidExtension != 0)
        {
            buffer[o++] = (byte)(track.MidExtension << 4 | (track.MidBytes.Length - 1));
            track.MidBytes.CopyTo(buffer[o..]);
            o += track.MidBytes.Length;
        }
        var now = _time.GetTimestamp();
        if (track.AbsSendTimeExtension != 0)
        {
            // 6.18 fixed-point seconds, 24 bits (webrtc.org abs-send-time).
            var value = (long)(_time.GetElapsedTime(_epochTicks, now).TotalSeconds * (1 << 18)) & 0xFFFFFF;
            buffer[o++] = (byte)(track.AbsSendTimeExtension << 4 | 2);
            buffer[o++] = (byte)(value >> 16);
            buffer[o++] = (byte)(value >> 8);
            buffer[o++] = (byte)value;
        }
        if (track.TransportCcExtension != 0)
        {
            var transport = _transportSequence++;
            buffer[o++] = (byte)(track.TransportCcExtension << 4 | 1);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[o..], transport);
            o += 2;
            _sentTransport[transport % _sentTransport.Length] = (now, payloadLength + 40);
        }
        while ((o - 16) % 4 != 0) buffer[o++] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[14..], (ushort)((o - 16) / 4));
        return o;
    }

    /// <summary>Sends an RTCP sender report with SDES CNAME for every track (RFC 3550 §6.4.1); call it about once a second.</summary>
    public void SendReports()
    {
        if (State != PeerState.Connected || _srtpSend is null || _path is null) return;
        lock (_sendGate)
        {
            if (_disposed) return;
            foreach (var track in _tracks)
            {
                if (track.PacketsSent == 0) continue;
                var buffer = _sendBuffer.AsSpan();
                var now = _time.GetUtcNow();
                var elapsed = track.LastSendTicks == 0 ? TimeSpan.Zero : _time.GetElapsedTime(track.LastSendTicks);
                var rtpNow = track.LastTimestamp + (uint)(elapsed.TotalSeconds * track.ClockRate);
                buffer[0] = 0x80;
                buffer[1] = (byte)RtcpPacketType.SenderReport;
                BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 6);
                BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], track.Ssrc);
                BinaryPrimitives.WriteUInt64BigEndian(buffer[8..], Sightline.Rtp.Time.NtpTimestamp.FromDateTime(now));
                BinaryPrimitives.WriteUInt32BigEndian(buffer[16..], rtpNow);
                BinaryPrimitives.WriteUInt32BigEndian(buffer[20..], (uint)track.PacketsSent);
                BinaryPrimitives.WriteUInt32BigEndian(buffer[24..], (uint)track.BytesSent);
                // SDES with one chunk: CNAME "sightline" (RFC 3550 §6.5).
                var sdes = buffer[28..];
                sdes[0] = 0x81;
                sdes[1] = (byte)RtcpPacketType.SourceDescription;
                BinaryPrimitives.WriteUInt16BigEndian(sdes[2..], 4);
                BinaryPrimitives.WriteUInt32BigEndian(sdes[4..], track.Ssrc);
                sdes[8] = 1;
                sdes[9] = 9;
                "sightline"u8.CopyTo(sdes[10..]);
                sdes[19] = 0;
                var length = _srtpSend.ProtectRtcp(buffer, 48);
                if (length > 0) _path.Send(buffer[..length]);
            }
        }
    }

    private void HandleRtcp(ReadOnlySpan<byte> compound)
    {
        var reader = new RtcpCompoundReader(compound);
        while (reader.TryNext(out var type, out var format, out var packet))
        {
            if (packet.Length < 12) continue;
            var mediaSsrc = BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);
            switch (type)
            {
                case RtcpPacketType.PayloadSpecificFeedback when format is 1 or 4:
                    // PLI (RFC 4585 §6.3.1) names the media SSRC; FIR (RFC 5104 §4.3.1) names it in its FCI.
                    var target = format == 4 && packet.Length >= 16 ? BinaryPrimitives.ReadUInt32BigEndian(packet[12..]) : mediaSsrc;
                    var track = Find(target);
                    if (track is not null)
                    {
                        track.KeyframeRequests++;
                        KeyframeRequested?.Invoke(this, track);
                    }
                    break;
                case RtcpPacketType.PayloadSpecificFeedback when format == 15:
                    // REMB (draft-alvestrand-rmcat-remb): "REMB", num SSRC, 6-bit exponent, 18-bit mantissa.
                    if (packet.Length >= 20 && packet.Slice(12, 4).SequenceEqual("REMB"u8))
                    {
                        var exp = packet[17] >> 2;
                        var mantissa = (packet[17] & 3) << 16 | packet[18] << 8 | packet[19];
                        _lastEstimateBps = (long)mantissa << exp;
                        BandwidthEstimated?.Invoke(this, new BandwidthEstimate(_lastEstimateBps, "remb", _tracks.Count > 0 ? _tracks.Max(t => t.LossFraction) : 0));
                    }
                    break;
                case RtcpPacketType.TransportFeedback when format == 1:
                    AnswerNack(mediaSsrc, packet[12..]);
                    break;
                case RtcpPacketType.TransportFeedback when format == 15:
                    OnTransportFeedback(packet[12..]);
                    break;
                case RtcpPacketType.ReceiverReport or RtcpPacketType.SenderReport:
                    OnReceptionReports(packet, type == RtcpPacketType.SenderReport ? 28 : 8, format);
                    break;
            }
        }
    }

    // Report blocks about our SSRCs: loss, jitter and round-trip time from LSR/DLSR (RFC 3550 §6.4.1).
    private void OnReceptionReports(ReadOnlySpan<byte> packet, int firstBlock, int count)
    {
        var nowNtp = (uint)(Sightline.Rtp.Time.NtpTimestamp.FromDateTime(_time.GetUtcNow()) >> 16);
        for (var i = 0; i < count && firstBlock + (i + 1) * ReceptionReport.Length <= packet.Length; i++)
        {
            var block = ReceptionReport.Read(packet[(firstBlock + i * ReceptionReport.Length)..]);
            var track = Find(block.Ssrc);
            if (track is null) continue;
            track.LossFraction = block.FractionLost / 256.0;
            track.CumulativeLost = block.CumulativeLost;
            track.Jitter = block.Jitter;
            if (block.LastSenderReport != 0)
            {
                var rtt = nowNtp - block.LastSenderReport - block.DelaySinceLastSenderReport;
                if (rtt < 0x80000000) track.RoundTripMs = rtt * 1000.0 / 65536;
            }
        }
    }

    // Transport-wide feedback: the rate at which the browser received our packets over the last half second or more
    // (its own arrival clock), and the share of reported packets it lost.
    private void OnTransportFeedback(ReadOnlySpan<byte> fci)
    {
        if (!TransportFeedback.TryParse(fci, _feedback) || _feedback.Count == 0) return;
        foreach (var status in _feedback)
        {
            _rateReported++;
            if (status.ArrivalMicroseconds is not { } arrival)
            {
                _rateLost++;
                continue;
            }
            var sent = _sentTransport[status.Sequence % _sentTransport.Length];
            if (_rateStartUs == long.MinValue || arrival < _rateStartUs)
            {
                _rateStartUs = arrival;
                _rateStartSent = sent.Ticks;
            }
            if (arrival >= _rateEndUs)
            {
                _rateEndUs = arrival;
                _rateEndSent = sent.Ticks;
            }
            _rateBytes += sent.Size;
        }
        var span = _rateEndUs - _rateStartUs;
        if (_rateStartUs == long.MinValue || span < 500_000) return;
        // One-way delay of the last packet minus that of the first (the clocks' offset cancels): the queue's growth.
        var sendSpanMs = (_rateEndSent - _rateStartSent) * 1000.0 / _time.TimestampFrequency;
        var growthMs = span / 1000.0 - sendSpanMs;
        var estimate = new BandwidthEstimate(_rateBytes * 8 * 1_000_000 / span, "transport-cc", (double)_rateLost / _rateReported, growthMs);
        _rateBytes = 0;
        _rateReported = _rateLost = 0;
        _rateStartUs = _rateEndUs;
        _rateStartSent = _rateEndSent;
        _lastEstimateBps = estimate.BitsPerSecond;
        BandwidthEstimated?.Invoke(this, estimate);
    }

    // Generic NACK (RFC 4585 §6.2.1): PID and a bitmask of the 16 following lost packets.
    private void AnswerNack(uint ssrc, ReadOnlySpan<byte> fci)
    {
        var track = Find(ssrc);
        if (track is null) return;
        track.NacksReceived++;
        lock (_sendGate)
        {
            if (_disposed) return;
            while (fci.Length >= 4)
            {
                var pid = BinaryPrimitives.ReadUInt16BigEndian(fci);
                var blp = BinaryPrimitives.ReadUInt16BigEndian(fci[2..]);
                Resend(track, pid);
                for (var bit = 0; bit < 16; bit++)
                {
                    if ((blp & 1 << bit) != 0) Resend(track, (ushort)(pid + bit + 1));
                }
                fci = fci[4..];
            }
        }
    }

    // A NACKed packet is resent at most MaxResends times, not twice within a round trip (a browser repeats its NACKs
    // while the first answer is still on the way), and within the retransmission budget: on a congested link
    // answering every NACK would add to what the link already drops.
    private void Resend(OutboundTrack track, ushort seq)
    {
        ref var entry = ref track.Slot(seq);
        if (entry.Frame is null || entry.Sequence != seq || entry.Resends >= MaxResends) return;
        var now = _time.GetTimestamp();
        var spacing = Math.Max(MinResendSpacingMs, track.RoundTripMs ?? 0) * _time.TimestampFrequency / 1000;
        if (entry.LastResend != 0 && now - entry.LastResend < spacing) return;
        var size = entry.Frame.Payloads[entry.Index].Length + 40;
        if (!TakeRetransmissionBudget(size, now))
        {
            track.RetransmissionsDropped++;
            return;
        }
        entry.LastResend = now;
        entry.Resends++;
        SendPacket(track, entry.Frame, entry.Index, entry.Sequence, entry.Timestamp, retransmission: true);
        track.Retransmissions++;
    }

    private const int MaxResends = 3;
    private const double MinResendSpacingMs = 40;

    // A token bucket for retransmissions: a third of the last bandwidth estimate (at least 100 kb/s), up to 250 ms of it.
    private bool TakeRetransmissionBudget(int bytes, long now)
    {
        var rate = Math.Max(100_000, _lastEstimateBps / 3) / 8.0; // bytes per second
        if (_lastEstimateBps == 0) rate = 2_000_000 / 8.0; // no estimate yet: a generous budget
        // The first NACK finds a full bucket.
        var elapsed = _rtxBudgetTicks == 0 ? 1.0 : (double)(now - _rtxBudgetTicks) / _time.TimestampFrequency;
        _rtxBudgetTicks = now;
        _rtxBudget = Math.Min(rate / 4, _rtxBudget + elapsed * rate);
        if (_rtxBudget < bytes) return false;
        _rtxBudget -= bytes;
        return true;
    }

    private long _rtxBudgetTicks;
    private double _rtxBudget;
    private long _lastEstimateBps;

    private OutboundTrack? Find(uint ssrc)
    {
        foreach (var t in _tracks)
        {
            if (t.Ssrc == ssrc) return t;
        }
        return null;
    }

    private void Respond(StunMessage request, MediaPath path, int error)
    {
        Span<byte> buffer = stackalloc byte[256];
        var w = new StunWriter(buffer, error == 0 ? StunMessage.BindingSuccess : StunMessage.BindingError, request.TransactionId);
        if (error == 0) w.AddXorMappedAddress(path.Remote);
        else w.AddErrorCode(error, "Unauthorized");
        if (error == 0 && request.Has(StunAttributeType.MessageIntegritySha256)) w.AddMessageIntegritySha256(_localPwd);
        else if (error == 0) w.AddMessageIntegrity(_localPwd);
        w.AddFingerprint();
        path.Send(buffer[..w.Length]);
    }

    private void SetState(PeerState state)
    {
        if (State == state) return;
        State = state;
        StateChanged?.Invoke(this, state);
    }
}
