using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Sightline.Rtp.Packetization;
using Sightline.Rtp.Sdp;
using Sightline.Rtsp.Auth;
using Sightline.Rtsp.Headers;
using Sightline.Rtsp.Messages;

namespace Sightline.Rtsp.Client;

/// <summary>
/// One RTSP session with a camera (RFC 2326): connect, OPTIONS, DESCRIBE, SETUP every supported track, PLAY, then receive
/// until the session ends. Keeps the session alive inside the camera's timeout and tears it down when disposed. One
/// reading loop owns the TCP connection (responses and interleaved RTP); UDP tracks have one loop per socket.
/// A new session after a failure is a new client (<see cref="ReconnectingCamera"/> does that).
/// </summary>
public sealed partial class RtspClient : ICameraSession
{
    private const int MaxRedirects = 5;
    private const int MaxReadBuffer = 4 * 1024 * 1024;

    private readonly RtspClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<RtspResponse> _responses = Channel.CreateBounded<RtspResponse>(new BoundedChannelOptions(16) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly SemaphoreSlim _requestGate = new(1, 1);
    private readonly List<RtspTrack> _tracks = [];
    private readonly List<UdpPair> _udp = [];
    private TcpClient? _tcp;
    private Stream? _stream;
    private Task? _readLoop;
    private RtspAuthenticator? _auth;
    private string _url;
    private string? _session;
    private int _sessionTimeoutSeconds = SessionHeader.DefaultTimeoutSeconds;
    private int _cseq;
    private bool _getParameterSupported;
    private IPAddress? _remoteAddress;
    private long _malformedMessages;
    private Exception? _readFailure;

    public RtspClient(RtspClientOptions options, ILogger logger, TimeProvider? time = null)
    {
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        var hash = options.Uri.IndexOf('#');
        _url = hash < 0 ? options.Uri : options.Uri[..hash];
        Transport = options.EffectiveTransport;
    }

    /// <summary>The transport in use (after SETUP: <see cref="RtspTransport.Udp"/> or <see cref="RtspTransport.Tcp"/>).</summary>
    public RtspTransport Transport { get; private set; }
    public IReadOnlyList<RtspTrack> Tracks => _tracks;
    public SessionDescription? Sdp { get; private set; }
    /// <summary>Tracks the SDP announced in codecs Sightline does not take ("audio MPA", …).</summary>
    public List<string> SkippedTracks { get; } = [];
    public long MalformedMessages => Interlocked.Read(ref _malformedMessages);
    public string? ServerName { get; private set; }

    /// <summary>The URI as shown to people: credentials masked.</summary>
    public string DisplayUri => Mask(_url);

    /// <summary>Raised for every complete frame of every track.</summary>
    public event Action<RtspTrack, EncodedFrame, DateTimeOffset>? FrameReceived;

    private Action<ICameraTrack, EncodedFrame, DateTimeOffset>? _sessionFrames;

    IReadOnlyList<ICameraTrack> ICameraSession.Tracks => _tracks;
    IReadOnlyList<string> ICameraSession.SkippedTracks => SkippedTracks;
    string ICameraSession.Transport => Transport.ToString().ToUpperInvariant();

    event Action<ICameraTrack, EncodedFrame, DateTimeOffset>? ICameraSession.FrameReceived
    {
        add => _sessionFrames += value;
        remove => _sessionFrames -= value;
    }

    /// <summary>Connects and starts playing. Throws <see cref="RtspException"/> with a clear reason.</summary>
    public async Task StartAsync(CancellationToken cancel)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, _stop.Token);
        var token = linked.Token;
        RtspResponse describe;
        var redirects = 0;
        while (true)
        {
            await ConnectAsync(token);
            var options = await RequestAsync(new RtspRequest("OPTIONS", RequestUrl(_url)), token, allowFailure: true);
            if (options.StatusCode is >= 200 and < 300)
            {
                _getParameterSupported = options.Header("Public")?.Contains("GET_PARAMETER", StringComparison.OrdinalIgnoreCase) == true;
            }
            ServerName = options.Header("Server");
            describe = await RequestAsync(new RtspRequest("DESCRIBE", RequestUrl(_url)).With("Accept", "application/sdp"), token, allowFailure: true);
            if (describe.StatusCode is >= 300 and < 400 && describe.Header("Location") is { } location && redirects++ < MaxRedirects)
            {
                // 3xx: the stream is elsewhere; keep the credentials of the original URI.
                _url = CarryUserInfo(_url, location);
                await CloseConnectionAsync();
                continue;
            }
            EnsureSuccess(describe, "DESCRIBE");
            break;
        }

        var sdpText = Encoding.UTF8.GetString(describe.Body);
        if (!SessionDescription.TryParse(sdpText, out var sdp, out var sdpError))
        {
            throw new RtspException(RtspFailure.ProtocolError, $"the camera's stream description is not valid SDP ({sdpError})");
        }
        Sdp = sdp;
        var baseUrl = describe.Header("Content-Base") ?? describe.Header("Content-Location") ?? _url;
        BuildTracks(sdp!, baseUrl);
        if (_tracks.Count == 0)
        {
            var offered = SkippedTracks.Count == 0 ? "no media" : string.Join(", ", SkippedTracks);
            throw new RtspException(RtspFailure.UnsupportedCodec, $"the camera offers no supported codec ({offered}); Sightline takes H.264, H.265, VP8, MJPEG, AAC, G.711 and Opus");
        }

        await SetupTracksAsync(sdp!, baseUrl, token);

        var playUrl = sdp!.Control is { } aggregate && aggregate != "*" ? ResolveControl(baseUrl, aggregate) : RequestUrl(baseUrl);
        var play = await RequestAsync(new RtspRequest("PLAY", playUrl).With("Range", "npt=0.000-"), token, allowFailure: true);
        if (play.StatusCode == 454 || play.StatusCode == 459 || play.StatusCode == 460)
        {
            // Some cameras want PLAY on the presentation URL even when the SDP has no aggregate control.
            play = await RequestAsync(new RtspRequest("PLAY", RequestUrl(_url)).With("Range", "npt=0.000-"), token, allowFailure: true);
        }
        EnsureSuccess(play, "PLAY");
        if (Transport == RtspTransport.Udp) SendNatPunches();
        Log.Playing(_logger, DisplayUri, Transport.ToString(), string.Join(", ", _tracks.Select(t => t.Codec.ToString())));
    }

    /// <summary>
    /// Receives until the session ends: returns when cancelled, throws <see cref="RtspException"/> when the camera closes
    /// the connection (<see cref="RtspFailure.ConnectionLost"/>) or sends nothing for the stall timeout.
    /// </summary>
    public async Task RunAsync(CancellationToken cancel)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, _stop.Token);
        var token = linked.Token;
        var started = NowMs();
        var keepAliveEvery = TimeSpan.FromSeconds(Math.Clamp(_sessionTimeoutSeconds / 2, 5, 30));
        var nextKeepAlive = _time.GetUtcNow() + keepAliveEvery;
        var nextReport = _time.GetUtcNow() + TimeSpan.FromSeconds(1);
        try
        {
            while (!token.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), _time, token);
                if (_readLoop is { IsCompleted: true })
                {
                    throw new RtspException(RtspFailure.ConnectionLost, "the camera closed the connection", _readFailure);
                }
                var last = _tracks.Max(t => t.LastPacketMs);
                var now = NowMs();
                if (last < 0)
                {
                    var silence = TimeSpan.FromMilliseconds(now - started);
                    if (Transport == RtspTransport.Udp && _options.EffectiveTransport == RtspTransport.Auto && silence >= _options.InitialUdpSilence)
                    {
                        throw new RtspException(RtspFailure.UdpBlocked, $"nothing arrived over UDP in {silence.TotalSeconds:0.#} s; switching to TCP");
                    }
                    if (silence >= _options.StallTimeout + _options.InitialUdpSilence)
                    {
                        throw new RtspException(RtspFailure.NoData, $"the camera sent no media in {silence.TotalSeconds:0.#} s after PLAY");
                    }
                }
                else if (now - last >= _options.StallTimeout.TotalMilliseconds)
                {
                    throw new RtspException(RtspFailure.NoData, $"no media from the camera for {(now - last) / 1000.0:0.#} s");
                }
                if (Transport == RtspTransport.Udp)
                {
                    // UDP tracks are polled here: a late gap must not wait for the next packet to time out.
                    foreach (var t in _tracks) t.Poll();
                }
                var utcNow = _time.GetUtcNow();
                if (utcNow >= nextReport)
                {
                    nextReport = utcNow + TimeSpan.FromSeconds(5);
                    SendReceiverReports();
                }
                if (utcNow >= nextKeepAlive)
                {
                    nextKeepAlive = utcNow + keepAliveEvery;
                    _ = KeepAliveAsync(token);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_session is not null && _stream is not null && _readLoop is { IsCompleted: false })
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await SendOnlyAsync(new RtspRequest("TEARDOWN", RequestUrl(_url)), timeout.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
            {
                // The camera is gone already; nothing to tear down.
            }
        }
        _stop.Cancel();
        await CloseConnectionAsync();
        foreach (var pair in _udp) pair.Dispose();
        _udp.Clear();
        _stop.Dispose();
        _requestGate.Dispose();
    }

    private async Task ConnectAsync(CancellationToken token)
    {
        var uri = new Uri(_url);
        var secure = uri.Scheme.Equals("rtsps", StringComparison.OrdinalIgnoreCase);
        if (!secure && !uri.Scheme.Equals("rtsp", StringComparison.OrdinalIgnoreCase))
        {
            throw new RtspException(RtspFailure.ProtocolError, $"'{uri.Scheme}://' is not an RTSP URI (rtsp:// or rtsps://)");
        }
        var port = uri.IsDefaultPort || uri.Port <= 0 ? (secure ? 322 : 554) : uri.Port;
        _auth ??= Credentials.FromUserInfo(uri.UserInfo) is { } creds ? new RtspAuthenticator(creds) : null;

        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(uri.DnsSafeHost, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(uri.DnsSafeHost, token);
        }
        catch (SocketException e)
        {
            throw new RtspException(RtspFailure.HostUnreachable, $"cannot resolve the camera's host name '{uri.DnsSafeHost}'", e);
        }
        var tcp = new TcpClient(addresses[0].AddressFamily) { NoDelay = true };
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(token))
        {
            timeout.CancelAfter(_options.ConnectTimeout);
            try
            {
                await tcp.ConnectAsync(addresses, port, timeout.Token);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                tcp.Dispose();
                throw new RtspException(RtspFailure.ConnectionRefused, $"the camera at {uri.DnsSafeHost}:{port} refused the connection (nothing listens on that port)", e);
            }
            catch (SocketException e)
            {
                tcp.Dispose();
                throw new RtspException(RtspFailure.HostUnreachable, $"cannot reach the camera at {uri.DnsSafeHost}:{port} ({e.SocketErrorCode})", e);
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                tcp.Dispose();
                throw new RtspException(RtspFailure.HostUnreachable, $"no answer from the camera at {uri.DnsSafeHost}:{port} within {_options.ConnectTimeout.TotalSeconds:0.#} s");
            }
        }
        _tcp = tcp;
        _remoteAddress = ((IPEndPoint)tcp.Client.RemoteEndPoint!).Address;
        Stream stream = tcp.GetStream();
        if (secure)
        {
            // Cameras use self-signed certificates; rtsps:// gives privacy on the wire, not identity (as ffmpeg and VLC do).
            var ssl = new SslStream(stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
            try
            {
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = uri.DnsSafeHost }, token);
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
            {
                await ssl.DisposeAsync();
                throw new RtspException(RtspFailure.TlsFailed, $"TLS with the camera failed: {e.Message}", e);
            }
            stream = ssl;
        }
        _stream = stream;
        _readLoop = Task.Run(() => ReadLoopAsync(stream, _stop.Token));
    }

    private async Task CloseConnectionAsync()
    {
        if (_stream is not null)
        {
            await _stream.DisposeAsync();
            _stream = null;
        }
        _tcp?.Dispose();
        _tcp = null;
        if (_readLoop is not null)
        {
            try
            {
                await _readLoop;
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
            {
            }
            _readLoop = null;
        }
        while (_responses.Reader.TryRead(out _))
        {
        }
    }

    private async Task ReadLoopAsync(Stream stream, CancellationToken token)
    {
        var buffer = new byte[64 * 1024];
        var filled = 0;
        try
        {
            while (!token.IsCancellationRequested)
            {
                if (filled == buffer.Length)
                {
                    if (buffer.Length >= MaxReadBuffer)
                    {
                        // A message bigger than any legitimate one: drop what we have and resynchronise.
                        Interlocked.Increment(ref _malformedMessages);
                        filled = 0;
                    }
                    else
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }
                }
                var read = await stream.ReadAsync(buffer.AsMemory(filled), token);
                if (read == 0) return;
                filled += read;
                var offset = 0;
                while (offset < filled)
                {
                    var result = RtspMessageReader.TryRead(buffer.AsSpan(offset, filled - offset), out var consumed, out var response, out var channel, out var data, out var error);
                    if (result == RtspReadResult.NeedMoreData) break;
                    offset += consumed;
                    switch (result)
                    {
                        case RtspReadResult.Interleaved:
                            DispatchInterleaved(channel, data);
                            break;
                        case RtspReadResult.Response:
                            _responses.Writer.TryWrite(response!);
                            break;
                        case RtspReadResult.Invalid:
                            Interlocked.Increment(ref _malformedMessages);
                            Log.MalformedMessage(_logger, DisplayUri, error ?? "invalid");
                            break;
                    }
                }
                if (offset > 0)
                {
                    Buffer.BlockCopy(buffer, offset, buffer, 0, filled - offset);
                    filled -= offset;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            _readFailure = e;
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void DispatchInterleaved(int channel, ReadOnlySpan<byte> data)
    {
        foreach (var track in _tracks)
        {
            if (track.RtpChannel == channel)
            {
                track.OnRtpPacket(data);
                return;
            }
            if (track.RtpChannel + 1 == channel)
            {
                track.OnRtcpPacket(data);
                return;
            }
        }
    }

    private void BuildTracks(SessionDescription sdp, string baseUrl)
    {
        foreach (var media in sdp.Media)
        {
            if (media.Media is not ("video" or "audio") || media.Formats.Count == 0) continue;
            Depacketizer? depacketizer = null;
            RtpMap? chosenMap = null;
            var chosenPt = -1;
            string codecName = media.Formats[0];
            foreach (var format in media.Formats)
            {
                if (!int.TryParse(format, NumberStyles.None, CultureInfo.InvariantCulture, out var pt)) continue;
                var map = media.RtpMap(pt);
                if (map is null) continue;
                depacketizer = Depacketizer.Create(map, media.Fmtp(pt), out codecName);
                if (depacketizer is not null)
                {
                    chosenMap = map;
                    chosenPt = pt;
                    break;
                }
            }
            if (depacketizer is null)
            {
                SkippedTracks.Add($"{media.Media} {codecName}");
                continue;
            }
            var control = media.Control is { } c ? ResolveControl(baseUrl, c) : RequestUrl(baseUrl);
            var track = new RtspTrack(_tracks.Count, media, chosenPt, chosenMap!, depacketizer, control, _options.NetworkCacheMs, _time);
            track.FrameReceived += (t, f, w) =>
            {
                FrameReceived?.Invoke(t, f, w);
                _sessionFrames?.Invoke(t, f, w);
            };
            _tracks.Add(track);
        }
    }

    private async Task SetupTracksAsync(SessionDescription sdp, string baseUrl, CancellationToken token)
    {
        var wantUdp = Transport is RtspTransport.Auto or RtspTransport.Udp;
        var udpRefused = false;
        foreach (var track in _tracks)
        {
            RtspResponse response;
            if (wantUdp)
            {
                var pair = UdpPair.Open(_remoteAddress!.AddressFamily);
                var request = new RtspRequest("SETUP", track.ControlUrl)
                    .With("Transport", $"RTP/AVP;unicast;client_port={pair.RtpPort}-{pair.RtcpPort}");
                try
                {
                    response = await RequestAsync(request, token, allowFailure: true);
                }
                catch
                {
                    pair.Dispose();
                    throw;
                }
                if (response.StatusCode == 461)
                {
                    // Some cameras stream only over TCP and answer a UDP SETUP with 461 Unsupported Transport.
                    pair.Dispose();
                    if (Transport != RtspTransport.Auto)
                    {
                        throw new RtspException(RtspFailure.TransportRefused, "the camera does not stream over UDP (SETUP: 461 Unsupported Transport); use #transport=tcp in the URI, or no #transport so Sightline chooses");
                    }
                    wantUdp = false;
                    udpRefused = true;
                    Transport = RtspTransport.Tcp;
                }
                else
                {
                    if (response.StatusCode is < 200 or >= 300) pair.Dispose();
                    EnsureSuccess(response, "SETUP");
                    var transport = TransportHeader.Parse(response.Header("Transport") ?? "");
                    if (transport.Tcp)
                    {
                        pair.Dispose();
                        throw new RtspException(RtspFailure.ProtocolError, "the camera answered a UDP SETUP with a TCP transport");
                    }
                    if (transport.ServerPort is not { } serverPort)
                    {
                        pair.Dispose();
                        throw new RtspException(RtspFailure.ProtocolError, "the camera's SETUP answer has no server_port");
                    }
                    var source = transport.Source is { } src && IPAddress.TryParse(src, out var srcAddress) ? srcAddress : _remoteAddress!;
                    pair.Start(track, new IPEndPoint(source, serverPort.Rtp), new IPEndPoint(source, serverPort.Rtcp), _stop.Token);
                    _udp.Add(pair);
                    track.RtpChannel = pair.RtpPort;
                    Transport = RtspTransport.Udp;
                    RememberSession(response);
                    continue;
                }
            }
            var rtpChannel = track.Index * 2;
            response = await RequestAsync(new RtspRequest("SETUP", track.ControlUrl)
                .With("Transport", $"RTP/AVP/TCP;unicast;interleaved={rtpChannel}-{rtpChannel + 1}"), token, allowFailure: true);
            if (response.StatusCode == 461)
            {
                // Some cameras stream only over UDP and answer an interleaved SETUP with 461 Unsupported Transport.
                throw new RtspException(RtspFailure.TransportRefused, udpRefused
                    ? "the camera streams neither UDP nor TCP unicast (SETUP: 461 Unsupported Transport to both)"
                    : "the camera does not stream over TCP (SETUP: 461 Unsupported Transport); use #transport=udp in the URI, or no #transport so Sightline chooses");
            }
            EnsureSuccess(response, "SETUP");
            var answered = TransportHeader.Parse(response.Header("Transport") ?? "");
            // Some cameras pick their own channel numbers: use what they answered.
            track.RtpChannel = answered.Interleaved?.Rtp ?? rtpChannel;
            Transport = RtspTransport.Tcp;
            RememberSession(response);
        }
    }

    private void RememberSession(RtspResponse response)
    {
        if (response.Header("Session") is not { } value) return;
        var session = SessionHeader.Parse(value);
        _session = session.Id;
        _sessionTimeoutSeconds = session.TimeoutSeconds;
    }

    private async Task KeepAliveAsync(CancellationToken token)
    {
        try
        {
            var method = _getParameterSupported ? "GET_PARAMETER" : "OPTIONS";
            await RequestAsync(new RtspRequest(method, RequestUrl(_url)), token, allowFailure: true);
        }
        catch (Exception e) when (e is RtspException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            Log.KeepAliveFailed(_logger, DisplayUri, e.Message);
        }
    }

    private async Task<RtspResponse> RequestAsync(RtspRequest request, CancellationToken token, bool allowFailure)
    {
        await _requestGate.WaitAsync(token);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var response = await ExchangeAsync(request, token);
                if (response.StatusCode != 401) return response;
                var challenges = response.HeaderValues("WWW-Authenticate").ToList();
                if (_auth is null)
                {
                    throw new RtspException(RtspFailure.AuthenticationFailed, "the camera requires a user name and password (put them in the URI: rtsp://user:password@host/…)");
                }
                var stale = RtspAuthenticator.IsStale(challenges);
                if (attempt >= (stale ? 2 : 1) || !_auth.Accept(challenges))
                {
                    throw new RtspException(RtspFailure.AuthenticationFailed, $"the camera refused the credentials for user '{_auth.Credentials.User}' (wrong user name or password)");
                }
            }
        }
        finally
        {
            _requestGate.Release();
        }
    }

    private async Task<RtspResponse> ExchangeAsync(RtspRequest request, CancellationToken token)
    {
        var cseq = await SendOnlyAsync(request, token);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(_options.ResponseTimeout);
        try
        {
            while (true)
            {
                var readTask = _responses.Reader.ReadAsync(timeout.Token).AsTask();
                var done = await Task.WhenAny(readTask, _readLoop ?? Task.Delay(Timeout.Infinite, timeout.Token));
                if (done != readTask)
                {
                    throw new RtspException(RtspFailure.ConnectionLost, $"the camera closed the connection during {request.Method}", _readFailure);
                }
                var response = await readTask;
                // A stale response to an earlier request (a keep-alive that timed out) is skipped.
                if (response.CSeq is null || response.CSeq == cseq) return response;
            }
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            throw new RtspException(RtspFailure.Timeout, $"the camera did not answer {request.Method} within {_options.ResponseTimeout.TotalSeconds:0.#} s");
        }
    }

    private async Task<int> SendOnlyAsync(RtspRequest request, CancellationToken token)
    {
        var stream = _stream ?? throw new RtspException(RtspFailure.ConnectionLost, "not connected");
        var cseq = Interlocked.Increment(ref _cseq);
        var toSend = new RtspRequest(request.Method, request.Uri);
        toSend.Headers.Add(new("CSeq", cseq.ToString(CultureInfo.InvariantCulture)));
        toSend.Headers.Add(new("User-Agent", _options.UserAgent));
        toSend.Headers.AddRange(request.Headers);
        if (_session is not null) toSend.Headers.Add(new("Session", _session));
        if (_auth?.Authorize(request.Method, request.Uri) is { } authorization) toSend.Headers.Add(new("Authorization", authorization));
        await stream.WriteAsync(toSend.Serialize(), token);
        await stream.FlushAsync(token);
        return cseq;
    }

    private static void EnsureSuccess(RtspResponse response, string method)
    {
        if (response.StatusCode is >= 200 and < 300) return;
        throw response.StatusCode switch
        {
            404 => new RtspException(RtspFailure.NotFound, $"the camera has no stream at this path ({method}: 404 {response.Reason})"),
            401 or 403 => new RtspException(RtspFailure.AuthenticationFailed, $"the camera refused access ({method}: {response.StatusCode} {response.Reason})"),
            _ => new RtspException(RtspFailure.RequestRejected, $"the camera answered {method} with {response.StatusCode} {response.Reason}"),
        };
    }

    private void SendReceiverReports()
    {
        Span<byte> buffer = stackalloc byte[64];
        foreach (var pair in _udp) pair.SendReport(buffer);
        if (Transport != RtspTransport.Tcp || _stream is null) return;
        foreach (var track in _tracks)
        {
            var length = Sightline.Rtp.Rtcp.ReceiverReport.Write(buffer[4..], LocalSsrc, track.BuildReport());
            buffer[0] = (byte)'$';
            buffer[1] = (byte)(track.RtpChannel + 1);
            buffer[2] = (byte)(length >> 8);
            buffer[3] = (byte)length;
            var frame = buffer[..(4 + length)].ToArray();
            _ = WriteInterleavedAsync(frame);
        }
    }

    private async Task WriteInterleavedAsync(byte[] frame)
    {
        // Shares the connection with requests: the gate keeps a report from splitting a request on the wire.
        if (!await _requestGate.WaitAsync(0)) return;
        try
        {
            if (_stream is { } s) await s.WriteAsync(frame, _stop.Token);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            _requestGate.Release();
        }
    }

    private void SendNatPunches()
    {
        foreach (var pair in _udp) pair.Punch();
    }

    internal uint LocalSsrc { get; } = (uint)Random.Shared.Next();

    private long NowMs() => _time.GetTimestamp() * 1000 / _time.TimestampFrequency;

    /// <summary>A request URI: the camera URI without user-info and fragment.</summary>
    private static string RequestUrl(string url)
    {
        var hash = url.IndexOf('#');
        if (hash >= 0) url = url[..hash];
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return url;
        var authorityStart = scheme + 3;
        var pathStart = url.IndexOfAny(['/', '?'], authorityStart);
        var authority = pathStart < 0 ? url[authorityStart..] : url[authorityStart..pathStart];
        var at = authority.LastIndexOf('@');
        return at < 0 ? url : url[..authorityStart] + authority[(at + 1)..] + (pathStart < 0 ? "" : url[pathStart..]);
    }

    /// <summary>Resolves an SDP <c>a=control</c> against the base URL (RFC 2326 C.1.1).</summary>
    public static string ResolveControl(string baseUrl, string control)
    {
        if (control.Contains("://", StringComparison.Ordinal)) return RequestUrl(control);
        var b = RequestUrl(baseUrl);
        if (control == "*") return b;
        var query = b.IndexOf('?');
        if (query >= 0 && control.StartsWith('?')) return b[..query] + control;
        return b.EndsWith('/') ? b + control.TrimStart('/') : b + "/" + control.TrimStart('/');
    }

    private static string CarryUserInfo(string original, string location)
    {
        var originalUri = new Uri(original);
        if (string.IsNullOrEmpty(originalUri.UserInfo) || !Uri.TryCreate(location, UriKind.Absolute, out var target) || !string.IsNullOrEmpty(target.UserInfo))
        {
            return location;
        }
        return new UriBuilder(target) { UserName = Uri.UnescapeDataString(originalUri.UserInfo.Split(':')[0]), Password = originalUri.UserInfo.Contains(':') ? Uri.UnescapeDataString(originalUri.UserInfo[(originalUri.UserInfo.IndexOf(':') + 1)..]) : "" }.Uri.ToString();
    }

    /// <summary>The URI with its password replaced by <c>***</c>.</summary>
    public static string Mask(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return url;
        var start = scheme + 3;
        var end = url.IndexOfAny(['/', '?', '#'], start);
        var authority = end < 0 ? url[start..] : url[start..end];
        var at = authority.LastIndexOf('@');
        if (at < 0) return url;
        var user = authority[..at];
        var colon = user.IndexOf(':');
        var masked = (colon < 0 ? user : user[..colon] + ":***") + authority[at..];
        return url[..start] + masked + (end < 0 ? "" : url[end..]);
    }
}
