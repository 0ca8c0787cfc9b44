using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Sightline.Media.Adaptation;
using Sightline.Media.Transcoding;
using Sightline.Rtp.Packetization;
using Sightline.Rtsp.Client;
using Sightline.WebRtc;

namespace Sightline.Media.Sources;

/// <summary>
/// One camera pulled once and fanned out to every viewer: frames are packetized once per track, kept from the last
/// keyframe (bounded in bytes) so a new viewer starts at once, and handed to each viewer's peer connection, which only
/// writes a header and encrypts. Viewers live in a copy-on-write array: the camera's loop takes no lock to fan out.
/// </summary>
/// <remarks>
/// Each viewer gets the video in the codec its own offer took (<see cref="Negotiation.ViewerVideo"/>): the camera's own
/// stream when its browser decodes it, else layers of a <see cref="QualityLadder"/>, which runs only when someone
/// needs it: a viewer whose browser lacks the camera's codec or profile, a camera codec browsers cannot decode (H.265,
/// MJPEG), a camera that reorders frames (B-frames), or an adaptive viewer whose own link does not carry the camera's
/// stream (it moves to a lighter layer shared with every viewer on it, and back up when its link allows). With every
/// viewer on the camera's own stream no decoder or encoder runs.
/// </remarks>
public sealed class CameraSource : IAsyncDisposable
{
    /// <summary>Most bytes kept for the current GOP; a longer GOP is cut and a new viewer waits for the next keyframe.</summary>
    public const int MaxGopBytes = 8 * 1024 * 1024;

    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<PacketizedFrame> _gop = [];
    private readonly ReconnectingCamera _camera;
    private volatile Viewer[] _viewers = [];
    // One batch per kind: video and audio may arrive on different threads (UDP), each kind on one.
    private Sightline.WebRtc.Transport.SendBatch? _videoBatch, _audioBatch;
    private QualityLadder? _ladder;
    private bool _ladderFailed;
    private bool _ladderReorders;
    private long _ladderIdleSince;
    private readonly PacketizedFrame?[] _rungOutputs = new PacketizedFrame?[QualityLadder.LayerCount];
    private bool _reorderLogged;
    // The current GOP as the camera sent it, to bring a new ladder's decoder up to the live frame.
    private readonly List<EncodedFrame> _rawGop = [];
    private RateMeter _cameraRate;
    private long _switches;
    private Sightline.Codecs.AudioTranscoder? _audioTranscoder;
    // Native batches and transcoders are used on camera threads and freed at disposal: one gate, so none is freed in use.
    private readonly Lock _transcodeGate = new();
    private bool _disposed;
    private bool _audioTranscoderFailed;
    // Opus timestamps (48 kHz) follow the camera's AAC clock: the next packet's position, re-aligned when it drifts.
    private long _opusPosition;
    private bool _opusAnchored;
    private Sightline.Rtp.Time.TimestampUnwrapper _aacTimestamps;

    /// <summary>Bitrates of re-encoded rungs (OpenVidu's MIN/MAX_SEND_BANDWIDTH) and of H.264 made from H.265/MJPEG.</summary>
    public LadderOptions LadderOptions { get; init; } = new();

    /// <summary>The ladder while one runs (some viewer on a re-encoded rung), for metrics.</summary>
    public QualityLadder? Ladder => _ladder;
    /// <summary>The camera's video bitrate as received (b/s, over the last second).</summary>
    public long CameraBitrate => _cameraRate.BitsPerSecond;
    /// <summary>True when the camera's own video can go to browsers as it is (H.264 or VP8 without reordering).</summary>
    public bool PassthroughTop => _camera.Tracks.FirstOrDefault(t => t.IsVideo) is not { } video || Usable(video.Codec, video.Parameters);

    // The camera's stream can be a viewer's top layer: a codec browsers decode, without frame reordering (B-frames).
    private static bool Usable(MediaCodec codec, CodecParameters parameters) => QualityLadder.BrowsersDecode(codec) && parameters.ReorderDepth is not > 0;

    /// <summary>Moves of viewers between rungs since the camera was published.</summary>
    public long LayerSwitches => Interlocked.Read(ref _switches);
    private int _gopBytes;
    private bool _gopValid;
    // The cached GOP's packetized frames are the camera's own stream, usable by viewers that take it, in this codec.
    private bool _gopUsable;
    private MediaCodec _gopCodec;
    private bool _running;

    /// <param name="files">Where <c>file://</c> cameras may read (none: they are refused).</param>
    public CameraSource(string uri, int networkCacheMs, ILogger logger, Ingest.CameraFiles? files = null)
    {
        Uri = uri;
        _logger = logger;
        _camera = Ingest.CameraSessions.Camera(uri, networkCacheMs, files ?? Ingest.CameraFiles.None, logger);
        _camera.FrameReceived += OnFrame;
    }

    public string Uri { get; }
    public ReconnectingCamera Camera => _camera;
    public bool IsRunning => _running;
    public int ViewerCount => _viewers.Length;
    public long FramesFannedOut { get; private set; }

    /// <summary>The camera's video as choosing a viewer's codec needs it (null while unknown: the camera has not played).</summary>
    public Negotiation.CameraVideo? Video()
    {
        if (_camera.Tracks.FirstOrDefault(t => t.IsVideo) is not { } t) return null;
        var p = t.Parameters;
        return new Negotiation.CameraVideo(t.Codec, p.ProfileLevelId, p.ReorderDepth is > 0, p.Width ?? 0, p.Height ?? 0);
    }

    /// <summary>What this camera can send to a browser as audio now (G.711/Opus as they are, AAC as Opus), from its last session.</summary>
    public TrackSpec? BrowserAudio()
    {
        foreach (var t in _camera.Tracks)
        {
            if (t.Codec is MediaCodec.PCMU or MediaCodec.PCMA or MediaCodec.Opus) return new TrackSpec("audio", t.Codec);
            // AAC is not a WebRTC codec: browsers get Opus made by the audio transcoder.
            if (t.Codec == MediaCodec.AAC) return new TrackSpec("audio", MediaCodec.Opus);
        }
        return null;
    }

    /// <summary>
    /// The camera's verdict for a new viewer, taken from its state events (no polling): at once when it plays; an attempt
    /// under way (starting, connecting, moving to TCP) is waited for, at most <paramref name="window"/>; a camera that is
    /// down (its last attempt failed and it waits to retry, or it just stalled) answers at once with its current reason.
    /// </summary>
    public async Task<CameraReadiness> WaitUntilPlayingAsync(TimeSpan window, CancellationToken cancel)
    {
        var verdict = new TaskCompletionSource<CameraReadiness>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChange(CameraStateChange change)
        {
            if (Judge(change.State, change.Failure, change.Detail) is { } r) verdict.TrySetResult(r);
        }
        // Listen first, then look: a change between the two is not missed.
        _camera.StateChanged += OnChange;
        try
        {
            if (Judge(_camera.State, _camera.LastError?.Failure, null) is { } now) return now;
            try
            {
                return await verdict.Task.WaitAsync(window, cancel);
            }
            catch (TimeoutException)
            {
                return new CameraReadiness(false, _camera.State, null, $"it did not start playing within {window.TotalSeconds:0.#} s (still connecting)");
            }
        }
        finally
        {
            _camera.StateChanged -= OnChange;
        }
    }

    // Null while an attempt is under way; a verdict otherwise. The reason is the camera's last error when it has one.
    private CameraReadiness? Judge(CameraState state, RtspFailure? failure, string? detail)
    {
        switch (state)
        {
            case CameraState.Playing when _camera.Tracks.Count > 0:
                return CameraReadiness.Ready;
            case CameraState.Failed or CameraState.Stalled:
            case CameraState.Reconnecting when failure is not null and not RtspFailure.UdpBlocked:
                return new CameraReadiness(false, state, failure, _camera.LastError?.Message ?? detail ?? "the camera stopped playing");
            case CameraState.Stopped when !_running:
                return new CameraReadiness(false, state, null, "the camera was stopped");
            default:
                return null; // idle or stopped about to start, connecting, or switching to TCP (no backoff)
        }
    }

    public void Start()
    {
        lock (_gate)
        {
            if (_running) return;
            _running = true;
        }
        _camera.Start();
    }

    public async Task StopAsync()
    {
        lock (_gate)
        {
            if (!_running) return;
            _running = false;
            _gop.Clear();
            _rawGop.Clear();
            _gopBytes = 0;
            _gopValid = false;
        }
        await _camera.StopAsync();
    }

    /// <summary>
    /// Adds a viewer; once its peer is connected it gets the cached GOP (when it takes the camera's own stream), then
    /// live frames. An <paramref name="adaptive"/> viewer (<c>adaptativeBitrate</c>) moves between the ladder's rungs
    /// with its own bandwidth estimates. <paramref name="video"/> is what its answer chose (null: the negotiated codec,
    /// the camera's own stream when it is that codec).
    /// </summary>
    public void AddViewer(PeerConnection peer, bool adaptive = false, Negotiation.ViewerVideo? video = null)
    {
        var track = peer.Tracks.FirstOrDefault(t => t.Kind == "video");
        var codec = video?.Codec ?? (track?.Codec.Equals("VP8", StringComparison.OrdinalIgnoreCase) == true ? MediaCodec.VP8 : MediaCodec.H264);
        var viewer = new Viewer(peer, adaptive, new RungSelector(TimeProvider.System) { CanProbe = track?.RtxSsrc is not null })
        {
            Video = track,
            Audio = peer.Tracks.FirstOrDefault(t => t.Kind == "audio"),
            Codec = codec,
            TakesCamera = video?.Passthrough ?? true,
        };
        if (adaptive) peer.BandwidthEstimated += (_, estimate) => OnEstimate(viewer, estimate);
        lock (_gate)
        {
            _viewers = [.. _viewers, viewer];
        }
        peer.StateChanged += (p, state) =>
        {
            if (state == PeerState.Connected) CatchUp(viewer);
        };
        peer.KeyframeRequested += (_, _) => viewer.KeyframeWanted = true;
        viewer.KeyframeWanted = true; // a transcoded stream starts its new viewer on a fresh keyframe
        if (peer.State == PeerState.Connected) CatchUp(viewer);
    }

    public void RemoveViewer(PeerConnection peer)
    {
        lock (_gate)
        {
            _viewers = Array.FindAll(_viewers, v => !ReferenceEquals(v.Peer, peer));
        }
    }

    /// <summary>Viewers on the camera's own stream now, and on each layer of the ladder (<see cref="QualityLadder.Layer"/>).</summary>
    public (int Camera, int[] Layers) ViewersPerLayer()
    {
        var layers = new int[QualityLadder.LayerCount];
        var camera = 0;
        foreach (var v in _viewers)
        {
            if (v.OnCamera) camera++;
            else layers[QualityLadder.Layer(v.Codec, v.Rung)]++;
        }
        return (camera, layers);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _camera.DisposeAsync();
        lock (_transcodeGate)
        {
            _disposed = true;
            _ladder?.Dispose();
            _audioTranscoder?.Dispose();
            _videoBatch?.Dispose();
            _audioBatch?.Dispose();
            _ladder = null;
            _audioTranscoder = null;
            _videoBatch = _audioBatch = null;
        }
    }

    private void CatchUp(Viewer viewer)
    {
        (PacketizedFrame Frame, MediaCodec Codec)[] gop;
        lock (_gate)
        {
            gop = _gopValid && _gopUsable ? [.. _gop.Select(f => (f, _gopCodec))] : [];
            viewer.Live = true;
        }
        // The cached GOP is the camera's own stream: only for a viewer that takes it (a re-encoded layer starts the
        // viewer on a fresh keyframe instead).
        if (viewer.Video is not { } track || !viewer.TakesCamera || gop.Length == 0 || !QualityLadder.BrowsersDecode(gop[0].Codec)) return;
        viewer.OnCamera = true;
        foreach (var frame in gop) viewer.Peer.SendFrame(track, frame.Frame);
    }

    private void OnFrame(ICameraTrack track, EncodedFrame frame, DateTimeOffset wallClock)
    {
        // Camera threads (one per UDP track, or the TCP reading loop) and disposal meet here: native send batches and
        // transcoders are never freed while a frame is using them.
        lock (_transcodeGate)
        {
            if (_disposed) return;
            OnFrameLocked(track, frame);
            foreach (var recorder in _recorders) recorder.OnFrame(track, frame, wallClock);
        }
    }

    private void OnFrameLocked(ICameraTrack track, EncodedFrame frame)
    {
        PacketizedFrame packetized;
        switch (frame.Codec)
        {
            case MediaCodec.H264 or MediaCodec.VP8 or MediaCodec.H265 or MediaCodec.MJPEG:
                OnVideo(track, frame);
                return;
            case MediaCodec.PCMU or MediaCodec.PCMA or MediaCodec.Opus:
                packetized = new PacketizedFrame(frame.Data, [(0, frame.Data.Length)], frame.RtpTimestamp, true);
                break;
            case MediaCodec.AAC:
                TranscodeAudio(track, frame);
                return;
            default:
                return;
        }
        FanOutAudio(packetized);
    }

    // Video: the camera's own stream goes out first, untouched, to every viewer that takes it; then, only if some
    // viewer needs them, the ladder decodes the frame once and encodes each wanted layer once for all its viewers.
    private void OnVideo(ICameraTrack track, EncodedFrame frame)
    {
        _cameraRate.Add(frame.Data.Length, Stopwatch.GetTimestamp());
        var usable = Usable(frame.Codec, track.Parameters);
        if (!usable && track.Parameters.ReorderDepth is > 0 && !_reorderLogged)
        {
            _reorderLogged = true;
            _logger.LogInformation("Camera {Uri}: its {Codec} reorders frames (B-frames: {Reason}), which WebRTC receivers do not take: it is re-encoded without reordering for browsers",
                _camera.DisplayUri, frame.Codec, track.Parameters.ReorderReason);
        }
        PacketizedFrame? packetized = null;
        if (usable)
        {
            packetized = frame.Codec == MediaCodec.H264
                ? H264Packetizer.Packetize(frame.Data, frame.RtpTimestamp, frame.IsKeyframe)
                : Vp8Packetizer.Packetize(frame.Data, frame.RtpTimestamp, frame.IsKeyframe);
        }
        Remember(frame, packetized, usable);
        var viewers = _viewers;
        var batch = viewers.Length == 0 ? null : _videoBatch ??= viewers[0].Peer.CreateSendBatch();
        var wanted = 0;
        var direct = false;
        foreach (var viewer in viewers)
        {
            if (!viewer.Live) continue;
            var onCamera = usable && viewer.TakesCamera && viewer.Codec == frame.Codec;
            if (viewer.OnCamera && !onCamera)
            {
                // The camera's stream stopped being usable for this viewer (it turned out to reorder frames, or came
                // back in another codec): the same rung, re-encoded, from its next keyframe.
                viewer.OnCamera = false;
                viewer.AwaitKeyframe = true;
            }
            viewer.TakesCameraNow = onCamera;
            if (onCamera)
            {
                if (viewer.Pending == 0 && frame.IsKeyframe) Switch(viewer, 0, awaitKeyframe: false);
                else if (viewer.Pending > 0 && viewer.Rung == 0 && _ladder is { Synced: true }) Switch(viewer, viewer.Pending, awaitKeyframe: true);
                if (viewer.Rung == 0)
                {
                    viewer.OnCamera = true;
                    Send(viewer, packetized!, batch!);
                    direct = true;
                }
                else viewer.OnCamera = false;
            }
            if (viewer.Rung > 0 || !onCamera) wanted |= 1 << QualityLadder.Layer(viewer.Codec, viewer.Rung);
            if (viewer.Pending > 0 || viewer.Pending == 0 && !onCamera) wanted |= 1 << QualityLadder.Layer(viewer.Codec, viewer.Pending);
        }
        batch?.Flush();
        if (direct) FramesFannedOut++;
        RunLadder(frame, track.Parameters.ReorderDepth is > 0, usable, wanted, viewers, batch);
    }

    private void RunLadder(EncodedFrame frame, bool reorders, bool cameraTop, int wanted, Viewer[] viewers, Sightline.WebRtc.Transport.SendBatch? batch)
    {
        var now = Stopwatch.GetTimestamp();
        if (wanted == 0)
        {
            if (_ladder is null) return;
            // Nobody needs a re-encoded layer: keep decoding a moment (a viewer may come back), then free it all.
            if (_ladderIdleSince == 0) _ladderIdleSince = now;
            if (Stopwatch.GetElapsedTime(_ladderIdleSince, now) > QualityLadder.RungLinger)
            {
                _logger.LogInformation("Camera {Uri}: no viewer needs a re-encoded layer: decoder and encoders stopped", _camera.DisplayUri);
                CloseLadder();
                return;
            }
        }
        else _ladderIdleSince = 0;
        // A camera that changed codec or turned out to reorder frames needs another decoder.
        if (_ladder is not null && (_ladder.Source != frame.Codec || _ladderReorders != reorders)) CloseLadder();
        if (_ladder is null)
        {
            if (wanted == 0 || _ladderFailed) return;
            try
            {
                _ladder = new QualityLadder(frame.Codec, LadderOptions, reorders);
                _ladderReorders = reorders;
            }
            catch (Sightline.Codecs.CodecException e)
            {
                // No FFmpeg layer on this machine: say so once; the camera keeps playing for passthrough viewers.
                _ladderFailed = true;
                _logger.LogError("Camera {Uri}: cannot decode {Codec} for re-encoding: {Reason}", _camera.DisplayUri, frame.Codec, e.Message);
                return;
            }
            if (!QualityLadder.BrowsersDecode(frame.Codec)) _logger.LogInformation("Camera {Uri}: {Codec} is transcoded to H.264 for browsers, which cannot decode it over WebRTC", _camera.DisplayUri, frame.Codec);
            else _logger.LogInformation("Camera {Uri}: a viewer needs a re-encoded layer (another codec, no frame reordering, or a lighter picture): the camera is decoded", _camera.DisplayUri);
            // Bring the new decoder up to this frame from the cached GOP, without encoding.
            EncodedFrame[] gop;
            lock (_gate) gop = [.. _rawGop];
            if (gop.Length > 0 && ReferenceEquals(gop[^1], frame))
            {
                foreach (var earlier in gop.AsSpan(0, gop.Length - 1)) TryDecode(earlier, 0);
            }
        }
        _ladder.CameraBitrate = _cameraRate.BitsPerSecond;
        _ladder.CameraTop = cameraTop;
        Span<long> caps = stackalloc long[QualityLadder.LayerCount];
        foreach (var viewer in viewers)
        {
            var layer = QualityLadder.Layer(viewer.Codec, viewer.Rung);
            var encoded = viewer.Rung > 0 || !viewer.TakesCameraNow;
            if (viewer.KeyframeWanted && encoded)
            {
                viewer.KeyframeWanted = false;
                _ladder.RequestKeyframeForViewer(layer);
            }
            // A viewer on a layer its link (or its REMB ceiling) cannot carry, the lowest one, holds that layer's encoder
            // down. The layer it is moving to counts already: that layer's encoder starts under the limit, not above it.
            var capacity = viewer.Adaptive ? viewer.Selector.EncoderLimit : 0;
            var held = QualityLadder.Layer(viewer.Codec, viewer.Pending > 0 ? viewer.Pending : viewer.Rung);
            if (capacity > 0 && capacity < _ladder.BitrateOf(held) && (caps[held] == 0 || capacity < caps[held])) caps[held] = capacity;
            if (viewer.AwaitKeyframe) _ladder.RequestKeyframe(layer);
            if (viewer.Pending > 0 || viewer.Pending == 0 && !viewer.TakesCameraNow) _ladder.RequestKeyframe(QualityLadder.Layer(viewer.Codec, viewer.Pending));
        }
        for (var i = 0; i < caps.Length; i++) _ladder.SetCap(i, caps[i]);
        if (!TryDecode(frame, wanted)) return;
        var sent = false;
        foreach (var viewer in viewers)
        {
            if (!viewer.Live) continue;
            if (viewer.Rung == 0 && viewer.TakesCameraNow) continue;
            var pending = viewer.Pending;
            if (pending >= 0 && (pending > 0 || !viewer.TakesCameraNow) && _rungOutputs[QualityLadder.Layer(viewer.Codec, pending)] is { IsKeyframe: true }) Switch(viewer, pending, awaitKeyframe: false);
            if (_rungOutputs[QualityLadder.Layer(viewer.Codec, viewer.Rung)] is not { } output) continue;
            if (viewer.AwaitKeyframe)
            {
                if (!output.IsKeyframe) continue;
                viewer.AwaitKeyframe = false;
            }
            viewer.OnCamera = false;
            Send(viewer, output, batch!);
            sent = true;
        }
        batch?.Flush();
        if (sent) FramesFannedOut++;
    }

    private void CloseLadder()
    {
        _ladder?.Dispose();
        _ladder = null;
    }

    private bool TryDecode(EncodedFrame frame, int wanted)
    {
        try
        {
            _ladder!.Process(frame, wanted, _rungOutputs);
            return true;
        }
        catch (Sightline.Codecs.CodecException e)
        {
            // A frame the decoder rejects (loss broke it) is skipped; the next keyframe repairs the picture.
            _logger.LogDebug("Camera {Uri}: re-encoding skipped a frame: {Reason}", _camera.DisplayUri, e.Message);
            Array.Clear(_rungOutputs);
            return false;
        }
    }

    private void Switch(Viewer viewer, int rung, bool awaitKeyframe)
    {
        if (viewer.Rung != rung)
        {
            _logger.LogDebug("Camera {Uri}: a viewer moves from rung {From} to rung {To}", _camera.DisplayUri, viewer.Rung, rung);
            Interlocked.Increment(ref _switches);
        }
        viewer.Rung = rung;
        viewer.Pending = -1;
        viewer.AwaitKeyframe = awaitKeyframe;
    }

    // One frame to one viewer, then the probe padding its rung selector asks for over the time since the last frame.
    private static void Send(Viewer viewer, PacketizedFrame frame, Sightline.WebRtc.Transport.SendBatch batch)
    {
        if (viewer.Video is not { } outbound) return;
        viewer.Peer.SendFrame(outbound, frame, batch);
        var now = Stopwatch.GetTimestamp();
        var probe = viewer.Adaptive ? viewer.Selector.ProbeBitsPerSecond : 0;
        if (probe > 0 && viewer.LastProbeTicks != 0)
        {
            var seconds = Math.Min(0.2, Stopwatch.GetElapsedTime(viewer.LastProbeTicks, now).TotalSeconds);
            viewer.Peer.SendPadding(outbound, (int)(probe / 8 * seconds), batch);
        }
        viewer.LastProbeTicks = now;
    }

    // A viewer's bandwidth estimate (from its peer's RTCP thread): its selector picks a rung; the move is made by the
    // camera thread at the new rung's next keyframe.
    private void OnEstimate(Viewer viewer, BandwidthEstimate estimate)
    {
        Span<long> bitrates = stackalloc long[QualityLadder.RungCount];
        for (var i = 0; i < bitrates.Length; i++) bitrates[i] = QualityLadder.BitrateOf(i, viewer.TakesCamera && PassthroughTop, _cameraRate.BitsPerSecond, LadderOptions);
        var target = viewer.Selector.OnEstimate(estimate, bitrates);
        if (target != viewer.Rung && target != viewer.Pending) viewer.Pending = target;
        else if (target == viewer.Rung) viewer.Pending = -1;
    }

    // AAC to Opus while someone watches; Opus timestamps start at the camera's time, in 48 kHz units.
    private void TranscodeAudio(ICameraTrack track, EncodedFrame frame)
    {
        if (_viewers.Length == 0 || _audioTranscoderFailed)
        {
            _audioTranscoder?.Dispose();
            _audioTranscoder = null;
            return;
        }
        if (_audioTranscoder is null)
        {
            try
            {
                _audioTranscoder = new Sightline.Codecs.AudioTranscoder("aac", track.Parameters.Config ?? [], track.Parameters.Channels ?? 2);
                _opusAnchored = false;
                _logger.LogInformation("Camera {Uri}: AAC audio is transcoded to Opus for browsers", _camera.DisplayUri);
            }
            catch (Sightline.Codecs.CodecException e)
            {
                _audioTranscoderFailed = true;
                _logger.LogError("Camera {Uri}: cannot transcode AAC for browsers: {Reason}", _camera.DisplayUri, e.Message);
                return;
            }
        }
        // Where the next Opus packet starts on the camera's clock: this frame's time, minus what is still queued before it.
        // Lost AAC frames or a camera reconnecting move it; more than one Opus frame of drift re-aligns the timestamps,
        // so audio keeps its place against the video (whose timestamps are the camera's).
        var head = _aacTimestamps.Unwrap(frame.RtpTimestamp) * 48000 / Math.Max(1, track.ClockRate) - _audioTranscoder.Buffered;
        if (!_opusAnchored || Math.Abs(_opusPosition - head) > Sightline.Codecs.AudioTranscoder.FrameSamples)
        {
            if (_opusAnchored) _logger.LogDebug("Camera {Uri}: Opus timestamps re-aligned to the camera's audio clock ({Drift} samples)", _camera.DisplayUri, head - _opusPosition);
            _opusPosition = head;
            _opusAnchored = true;
        }
        try
        {
            _audioTranscoder.Transcode(frame.Data, packet =>
            {
                var data = packet.ToArray();
                FanOutAudio(new PacketizedFrame(data, [(0, data.Length)], (uint)_opusPosition, true));
                _opusPosition += Sightline.Codecs.AudioTranscoder.FrameSamples;
            });
        }
        catch (Sightline.Codecs.CodecException e)
        {
            _logger.LogDebug("Camera {Uri}: an AAC frame could not be decoded: {Reason}", _camera.DisplayUri, e.Message);
        }
    }

    private void FanOutAudio(PacketizedFrame packetized)
    {
        var viewers = _viewers;
        if (viewers.Length == 0) return;
        var batch = _audioBatch ??= viewers[0].Peer.CreateSendBatch();
        foreach (var viewer in viewers)
        {
            if (viewer.Live && viewer.Audio is { } outbound) viewer.Peer.SendFrame(outbound, packetized, batch);
        }
        batch.Flush();
    }

    // The GOP since the last keyframe, as received (for a new ladder's decoder) and packetized (for a new viewer).
    private void Remember(EncodedFrame raw, PacketizedFrame? packetized, bool usable)
    {
        lock (_gate)
        {
            if (raw.IsKeyframe)
            {
                _gop.Clear();
                _rawGop.Clear();
                _gopBytes = 0;
                _gopValid = true;
                _gopUsable = usable;
                _gopCodec = raw.Codec;
            }
            if (!_gopValid) return;
            _gopBytes += raw.Data.Length + (packetized?.Buffer.Length ?? 0);
            if (_gopBytes > MaxGopBytes)
            {
                _gop.Clear();
                _rawGop.Clear();
                _gopBytes = 0;
                _gopValid = false;
                return;
            }
            _rawGop.Add(raw);
            if (packetized is not null) _gop.Add(packetized);
        }
    }

    /// <summary>
    /// Adds a recorder: it gets every frame of every track as the camera sends it (never re-encoded), starting with the
    /// cached GOP so its file begins at once with a keyframe. Called on the camera's thread; a sink must not block.
    /// </summary>
    public void AddRecorder(IFrameSink sink)
    {
        lock (_transcodeGate)
        {
            EncodedFrame[] gop;
            lock (_gate)
            {
                gop = _gopValid ? [.. _rawGop] : [];
                _recorders = [.. _recorders, sink];
            }
            var video = _camera.Tracks.FirstOrDefault(t => t.IsVideo);
            if (video is null) return;
            foreach (var frame in gop) sink.OnFrame(video, frame, null);
        }
    }

    public void RemoveRecorder(IFrameSink sink)
    {
        lock (_gate) _recorders = Array.FindAll(_recorders, r => !ReferenceEquals(r, sink));
    }

    private volatile IFrameSink[] _recorders = [];

    private sealed class Viewer(PeerConnection peer, bool adaptive, RungSelector selector)
    {
        public PeerConnection Peer { get; } = peer;
        public bool Adaptive { get; } = adaptive;
        public RungSelector Selector { get; } = selector;
        public volatile bool Live;
        public volatile bool KeyframeWanted;
        /// <summary>The rung this viewer receives, and the one it moves to at that rung's next keyframe (-1: none).</summary>
        public volatile int Rung;
        public volatile int Pending = -1;
        /// <summary>Just moved onto a re-encoded rung: frames wait for that rung's keyframe.</summary>
        public bool AwaitKeyframe;
        public long LastProbeTicks;
        /// <summary>The viewer's video and audio tracks, found once: the fan-out neither searches nor allocates per frame.</summary>
        public OutboundTrack? Video { get; init; }
        public OutboundTrack? Audio { get; init; }
        /// <summary>The codec of its video track: the camera's own stream or layers in this codec.</summary>
        public MediaCodec Codec { get; init; }
        /// <summary>Its browser decodes the camera's own stream (codec and profile): rung 0 is the camera itself.</summary>
        public bool TakesCamera { get; init; }
        /// <summary>As <see cref="TakesCamera"/>, for the camera's current frames (false while they reorder or changed codec).</summary>
        public bool TakesCameraNow;
        /// <summary>It receives the camera's own stream now (not a re-encoded layer).</summary>
        public volatile bool OnCamera;
    }
}
