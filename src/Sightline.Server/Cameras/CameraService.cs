using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Sightline.Media.Negotiation;
using Sightline.Media.Sources;
using Sightline.Rtp.Codecs.H264;
using Sightline.Rtp.Packetization;
using Sightline.Sessions.Events;
using Sightline.Sessions.Model;
using Sightline.WebRtc;
using Sightline.WebRtc.Dtls;
using Sightline.WebRtc.Sdp;
using Sightline.WebRtc.Transport;

namespace Sightline.Server.Cameras;

/// <summary>A camera's state as shown in its Connection JSON (<c>cameraStatus</c>, a Sightline extension).</summary>
public sealed record CameraStatus(string State, string? Transport, int Viewers, string? LastErrorKind, string? LastError);

/// <summary>A subscription that cannot be served (no codec fits the viewer, an unreadable offer), with the reason in plain words.</summary>
public sealed class SubscriptionRefusedException(string message) : Exception(message);

/// <summary>
/// Connects the sessions model to the media: an IPCAM publication becomes a shared <see cref="CameraSource"/>, a
/// subscription becomes a <see cref="PeerConnection"/> fed by it, and their ends (unsubscribe, eviction, session close)
/// close them. Listens to the same session events as signaling and webhooks.
/// </summary>
public sealed class CameraService : ISessionEventSink, IAsyncDisposable
{
    private readonly CameraSourcePool _pool;
    private readonly UdpMux _mux;
    private readonly DtlsCertificate _certificate;
    private readonly WebRtcOptions _options;
    private readonly ILogger<CameraService> _logger;
    private readonly ILoggerFactory _loggers;
    private readonly ConcurrentDictionary<(string Subscriber, string Stream), Subscription> _subscriptions = new();
    private readonly ConcurrentDictionary<string, IpCameraProperties> _cameraStreams = new(StringComparer.Ordinal);
    private readonly Timer _consent;
    // Whether the FFmpeg layer loads here: without it only viewers that take the camera's own stream can be served.
    private readonly bool _canTranscode;

    /// <summary>
    /// Longest wait of a new viewer for a camera that is still connecting: short enough that openvidu-browser's
    /// <c>subscribe</c> settles within 5 s, long enough for a camera that answers slowly (DESCRIBE, SETUP, PLAY).
    /// </summary>
    public static readonly TimeSpan PlayWait = TimeSpan.FromSeconds(4);

    private sealed record Subscription(PeerConnection Peer, string Uri, bool Adaptive)
    {
        /// <summary>Server-offers flow: the video codecs offered, to read the browser's choice from its answer.</summary>
        public IReadOnlyList<(TrackSpec Spec, bool Passthrough)> Offered { get; init; } = [];
    }

    /// <param name="files">Where <c>file://</c> cameras may read (none: refused).</param>
    public CameraService(WebRtcOptions options, ILoggerFactory loggers, Sightline.Media.Ingest.CameraFiles? files = null)
    {
        _options = options;
        _loggers = loggers;
        _logger = loggers.CreateLogger<CameraService>();
        _pool = new CameraSourcePool(loggers, options.CameraLinger, options.Ladder, files);
        _mux = new UdpMux(new System.Net.IPEndPoint(System.Net.IPAddress.Any, options.Port), loggers.CreateLogger<UdpMux>());
        _mux.Start();
        _certificate = DtlsCertificate.Create();
        _canTranscode = Sightline.Codecs.VideoDecoder.Available("h264");
        _consent = new Timer(_ => CheckConsent(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public CameraSourcePool Pool => _pool;
    public UdpMux Mux => _mux;
    public int MediaPort => _mux.LocalEndPoint.Port;

    public void OnEvent(SessionEvent e)
    {
        switch (e)
        {
            case WebRtcConnectionCreated { SubscriberConnectionId: null, Stream.IpCamera: { } cam } created:
                _cameraStreams[created.Stream.StreamId] = cam;
                _pool.Publish(cam.RtspUri, cam.NetworkCache, cam.OnlyPlayWithSubscribers);
                break;
            case WebRtcConnectionDestroyed { SubscriberConnectionId: null, Stream.IpCamera: { } cam } destroyed:
                _cameraStreams.TryRemove(destroyed.Stream.StreamId, out _);
                _pool.Unpublish(cam.RtspUri, cam.OnlyPlayWithSubscribers);
                break;
            case WebRtcConnectionDestroyed { SubscriberConnectionId: { } subscriber } ended:
                if (_subscriptions.TryRemove((subscriber, ended.Stream.StreamId), out var s)) Close(s);
                break;
            case ParticipantLeft left:
                // A server-offered peer whose answer never came is no session subscription: nothing else ends it.
                foreach (var key in _subscriptions.Keys)
                {
                    if (key.Subscriber == left.Connection.ConnectionId && _subscriptions.TryRemove(key, out var prepared)) Close(prepared);
                }
                break;
        }
    }

    /// <summary>
    /// Answers a viewer's offer for a camera stream: the camera is started if it waits for viewers and awaited briefly
    /// (one that cannot play throws <see cref="CameraUnavailableException"/>), and the viewer gets the video in a codec
    /// its offer contains (<see cref="ViewerVideo.Choose"/>): the camera's own stream when it can, else re-encoded.
    /// Throws <see cref="SubscriptionRefusedException"/> when nothing fits, with the reason.
    /// </summary>
    public async Task<string> SubscribeAsync(string subscriberConnectionId, string streamId, string sdpOffer, CancellationToken cancel)
    {
        RemoteOffer offer;
        try
        {
            offer = RemoteOffer.Parse(sdpOffer);
        }
        catch (FormatException e)
        {
            throw new SubscriptionRefusedException(e.Message);
        }
        var (cam, source) = await JoinCameraAsync(streamId, cancel);
        var peer = new PeerConnection(_mux, _certificate, _loggers.CreateLogger<PeerConnection>());
        string answer;
        ViewerVideo? video;
        try
        {
            var tracks = TracksFor(offer, source, out video);
            answer = peer.Answer(offer, tracks, _options.AnnouncedAddresses, streamId);
        }
        catch
        {
            peer.Dispose();
            _pool.ViewerLeft(cam.RtspUri);
            throw;
        }
        if (video is not null) _logger.LogInformation("Viewer {Viewer} of {Stream}: {Codec} ({Reason})", subscriberConnectionId, streamId, video.Codec, video.Reason);
        source.AddViewer(peer, cam.AdaptativeBitrate, video);
        if (_subscriptions.TryRemove((subscriberConnectionId, streamId), out var old)) Close(old);
        _subscriptions[(subscriberConnectionId, streamId)] = new Subscription(peer, cam.RtspUri, cam.AdaptativeBitrate);
        return answer;
    }

    // What a viewer's answer sends: the video its offer takes (the camera's own stream or re-encoded), and the camera's audio.
    private List<TrackSpec> TracksFor(RemoteOffer offer, CameraSource source, out ViewerVideo? video)
    {
        video = null;
        var tracks = new List<TrackSpec>();
        var wantsVideo = offer.Media.FirstOrDefault(m => m.Kind == "video" && m.Direction is "recvonly" or "sendrecv");
        if (source.Video() is { } camera)
        {
            if (wantsVideo is not null)
            {
                video = ViewerVideo.Choose(wantsVideo, camera, _canTranscode, _options.Ladder, out var refusal)
                    ?? throw new SubscriptionRefusedException($"cannot send camera video to this viewer: {refusal}");
                tracks.Add(new TrackSpec("video", video.Codec, video.ProfileLevelId) { PayloadType = video.Offered.PayloadType, Fmtp = video.AnswerFmtp });
            }
        }
        else
        {
            // The camera's video is not known yet (it has not played): H.264 is assumed, so the viewer stays attached
            // and plays when it comes; a camera that turns out to be otherwise is re-encoded for it.
            tracks.Add(new TrackSpec("video", MediaCodec.H264));
        }
        if (source.BrowserAudio() is { } audio) tracks.Add(audio);
        return tracks;
    }

    /// <summary>Where a camera stands, for the Connection JSON: idle (waiting for a viewer), connecting, playing, … and the last error.</summary>
    public CameraStatus? StatusOf(string rtspUri)
    {
        var source = _pool.Find(rtspUri);
        if (source is null) return null;
        var camera = source.Camera;
        var state = !source.IsRunning ? "idle"
            : camera.State == Sightline.Rtsp.Client.CameraState.Idle ? "connecting" // started, its loop not yet running
            : camera.State.ToString().ToLowerInvariant();
        return new CameraStatus(state, camera.Transport, source.ViewerCount, camera.LastError?.Failure.ToString(), camera.LastError?.Message);
    }

    /// <summary>
    /// The server-offers flow (<c>prepareReceiveVideoFrom</c>): a peer is made with our offer and waits for the browser's
    /// answer in <see cref="CompleteSubscription"/>. The video m-line offers the camera's own stream first, then the
    /// re-encoded codecs (H.264 Constrained Baseline, VP8): the browser's answer picks what it decodes.
    /// </summary>
    public async Task<string> PrepareSubscriptionAsync(string subscriberConnectionId, string streamId, CancellationToken cancel)
    {
        var (cam, source) = await JoinCameraAsync(streamId, cancel);
        // openvidu-browser wants one transceiver per announced kind, and a camera always announces audio: offer an audio
        // m-line even when the camera has no browser audio (it stays silent), audio first as browsers order them.
        var audio = source.BrowserAudio() ?? new TrackSpec("audio", MediaCodec.Opus);
        var choices = OfferedVideo(source.Video());
        var lines = new List<IReadOnlyList<TrackSpec>> { new[] { audio }, choices.Select(c => c.Spec).ToList() };
        var peer = new PeerConnection(_mux, _certificate, _loggers.CreateLogger<PeerConnection>());
        var offer = peer.CreateOffer(lines, _options.AnnouncedAddresses, streamId);
        if (_subscriptions.TryRemove((subscriberConnectionId, streamId), out var old)) Close(old);
        _subscriptions[(subscriberConnectionId, streamId)] = new Subscription(peer, cam.RtspUri, cam.AdaptativeBitrate) { Offered = choices };
        return offer;
    }

    // The video codecs offered to a browser that answers: the camera's own stream (H.264 with its profile, or VP8), then
    // what re-encoding makes, each on its own payload type so the answer tells which one the browser took.
    private List<(TrackSpec Spec, bool Passthrough)> OfferedVideo(CameraVideo? camera)
    {
        var list = new List<(TrackSpec, bool)>();
        if (camera is null || camera.Codec == MediaCodec.H264 && !camera.Reorders) list.Add((new TrackSpec("video", MediaCodec.H264, camera?.ProfileLevelId ?? "42e01f") { PayloadType = 102 }, true));
        else if (camera.Codec == MediaCodec.VP8 && !camera.Reorders) list.Add((new TrackSpec("video", MediaCodec.VP8) { PayloadType = 96 }, true));
        if (_canTranscode && camera is not null)
        {
            var level = Sightline.Media.Transcoding.QualityLadder.AnnouncedLevel(camera.Width, camera.Height, _options.Ladder.FramesPerSecond);
            var encodedH264 = $"42e0{level:x2}";
            if (!(list.Count > 0 && list[0].Item1.Codec == MediaCodec.H264 && H264Profile.TryParse(list[0].Item1.ProfileLevelId, out var p) && p.Kind == H264ProfileKind.ConstrainedBaseline))
            {
                list.Add((new TrackSpec("video", MediaCodec.H264, encodedH264) { PayloadType = 104 }, false));
            }
            if (!list.Any(x => x.Item1.Codec == MediaCodec.VP8)) list.Add((new TrackSpec("video", MediaCodec.VP8) { PayloadType = 96 }, false));
        }
        return list;
    }

    /// <summary>The browser's answer to <see cref="PrepareSubscriptionAsync"/>: the peer starts receiving the camera.</summary>
    public void CompleteSubscription(string subscriberConnectionId, string streamId, string sdpAnswer)
    {
        if (!_subscriptions.TryGetValue((subscriberConnectionId, streamId), out var s)) throw new InvalidOperationException("no prepared subscription");
        s.Peer.SetRemoteAnswer(sdpAnswer);
        var track = s.Peer.Tracks.FirstOrDefault(t => t.Kind == "video");
        ViewerVideo? video = null;
        if (track is not null && s.Offered.FirstOrDefault(o => o.Spec.PayloadType == track.PayloadType) is { Spec: not null } chosen)
        {
            var offered = new OfferedCodec(track.PayloadType, track.Codec, track.ClockRate, 1, chosen.Spec.Fmtp ?? new Dictionary<string, string>(), [], track.RtxPayloadType);
            video = new ViewerVideo(offered, chosen.Spec.Codec, chosen.Passthrough, chosen.Spec.ProfileLevelId, chosen.Passthrough ? "the camera's own stream" : "re-encoded: the browser answered with this codec");
        }
        _pool.Find(s.Uri)?.AddViewer(s.Peer, s.Adaptive, video);
    }

    // A new viewer of a camera stream: the camera is started if it waits for viewers, and the viewer waits for it to
    // play (PlayWait at most, so the browser hears within 5 s); a camera that cannot play fails the subscription with
    // its reason, and the viewer's hold on the camera is let go.
    private async Task<(IpCameraProperties Camera, CameraSource Source)> JoinCameraAsync(string streamId, CancellationToken cancel)
    {
        if (!_cameraStreams.TryGetValue(streamId, out var cam)) throw new InvalidOperationException("not a camera stream");
        var source = _pool.Find(cam.RtspUri) ?? throw new InvalidOperationException("camera not published");
        _pool.ViewerJoined(cam.RtspUri);
        CameraReadiness readiness;
        try
        {
            readiness = await source.WaitUntilPlayingAsync(PlayWait, cancel);
        }
        catch
        {
            _pool.ViewerLeft(cam.RtspUri); // the socket closed while waiting
            throw;
        }
        if (!readiness.Playing)
        {
            _pool.ViewerLeft(cam.RtspUri);
            throw new CameraUnavailableException(streamId, readiness);
        }
        return (cam, source);
    }

    /// <summary>
    /// Lets go of a subscription the session did not take (its subscriber left while the camera was awaited): the peer
    /// is closed and its viewer reference released, as an unsubscribe would.
    /// </summary>
    public void Release(string subscriberConnectionId, string streamId)
    {
        if (_subscriptions.TryRemove((subscriberConnectionId, streamId), out var s)) Close(s);
    }

    /// <summary>True when the stream is a camera this service serves.</summary>
    public bool IsCamera(string streamId) => _cameraStreams.ContainsKey(streamId);

    private void Close(Subscription s)
    {
        _pool.Find(s.Uri)?.RemoveViewer(s.Peer);
        s.Peer.Close();
        _pool.ViewerLeft(s.Uri);
    }

    private void CheckConsent()
    {
        foreach (var s in _subscriptions.Values)
        {
            s.Peer.CheckConsent();
            s.Peer.SendReports();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _consent.DisposeAsync();
        foreach (var s in _subscriptions.Values) s.Peer.Close();
        _subscriptions.Clear();
        await _pool.DisposeAsync();
        await _mux.DisposeAsync();
    }
}
