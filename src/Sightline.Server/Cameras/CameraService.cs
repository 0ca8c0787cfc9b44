using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Sightline.Media.Sources;
using Sightline.Rtp.Packetization;
using Sightline.Sessions.Events;
using Sightline.Sessions.Model;
using Sightline.WebRtc;
using Sightline.WebRtc.Dtls;
using Sightline.WebRtc.Transport;

namespace Sightline.Server.Cameras;

/// <summary>
/// Connects the sessions model to the media: an IPCAM publication becomes a shared <see cref="CameraSource"/>, a
/// subscription becomes a <see cref="PeerConnection"/> fed by it, and their ends (unsubscribe, eviction, session close)
/// close them. Listens to the same session events as signaling and webhooks.
/// </summary>
/// <summary>A camera's state as shown in its Connection JSON (<c>cameraStatus</c>, a Sightline extension).</summary>
public sealed record CameraStatus(string State, string? Transport, int Viewers, string? LastErrorKind, string? LastError);

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

    private sealed record Subscription(PeerConnection Peer, string Uri, bool Adaptive);

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
        }
    }

    /// <summary>
    /// Answers a viewer's offer for a camera stream: the camera is started if it waits for viewers, its codecs are
    /// awaited briefly (H.264 assumed if it is away, so the viewer stays attached and plays when it comes back).
    /// </summary>
    public async Task<string> SubscribeAsync(string subscriberConnectionId, string streamId, string sdpOffer, CancellationToken cancel)
    {
        var (cam, tracks) = await JoinCameraAsync(streamId, cancel);
        var peer = new PeerConnection(_mux, _certificate, _loggers.CreateLogger<PeerConnection>());
        string answer;
        try
        {
            answer = peer.Answer(sdpOffer, tracks, _options.AnnouncedAddresses, streamId);
        }
        catch
        {
            peer.Dispose();
            _pool.ViewerLeft(cam.RtspUri);
            throw;
        }
        _pool.Find(cam.RtspUri)?.AddViewer(peer, cam.AdaptativeBitrate);
        if (_subscriptions.TryRemove((subscriberConnectionId, streamId), out var old)) Close(old);
        _subscriptions[(subscriberConnectionId, streamId)] = new Subscription(peer, cam.RtspUri, cam.AdaptativeBitrate);
        return answer;
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
    /// answer in <see cref="CompleteSubscription"/>.
    /// </summary>
    public async Task<string> PrepareSubscriptionAsync(string subscriberConnectionId, string streamId, CancellationToken cancel)
    {
        var (cam, tracks) = await JoinCameraAsync(streamId, cancel);
        // openvidu-browser wants one transceiver per announced kind, and a camera always announces audio: offer an audio
        // m-line even when the camera has no browser audio (it stays silent), audio first as browsers order them.
        if (!tracks.Any(t => t.Kind == "audio")) tracks = [new TrackSpec("audio", MediaCodec.Opus), .. tracks];
        else tracks = [.. tracks.Where(t => t.Kind == "audio"), .. tracks.Where(t => t.Kind != "audio")];
        var peer = new PeerConnection(_mux, _certificate, _loggers.CreateLogger<PeerConnection>());
        var offer = peer.CreateOffer(tracks, _options.AnnouncedAddresses, streamId);
        if (_subscriptions.TryRemove((subscriberConnectionId, streamId), out var old)) Close(old);
        _subscriptions[(subscriberConnectionId, streamId)] = new Subscription(peer, cam.RtspUri, cam.AdaptativeBitrate);
        return offer;
    }

    /// <summary>The browser's answer to <see cref="PrepareSubscriptionAsync"/>: the peer starts receiving the camera.</summary>
    public void CompleteSubscription(string subscriberConnectionId, string streamId, string sdpAnswer)
    {
        if (!_subscriptions.TryGetValue((subscriberConnectionId, streamId), out var s)) throw new InvalidOperationException("no prepared subscription");
        s.Peer.SetRemoteAnswer(sdpAnswer);
        _pool.Find(s.Uri)?.AddViewer(s.Peer, s.Adaptive);
    }

    // A new viewer of a camera stream: the camera is started if it waits for viewers, and its codecs are awaited
    // briefly (H.264 assumed if it is away, so the viewer stays attached and plays when it comes back).
    private async Task<(IpCameraProperties Camera, IReadOnlyList<TrackSpec> Tracks)> JoinCameraAsync(string streamId, CancellationToken cancel)
    {
        if (!_cameraStreams.TryGetValue(streamId, out var cam)) throw new InvalidOperationException("not a camera stream");
        var source = _pool.Find(cam.RtspUri) ?? throw new InvalidOperationException("camera not published");
        _pool.ViewerJoined(cam.RtspUri);
        await source.WaitForTracksAsync(TimeSpan.FromSeconds(6), cancel);
        var tracks = source.BrowserTracks();
        return (cam, tracks.Count == 0 ? [new TrackSpec("video", MediaCodec.H264)] : tracks);
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
