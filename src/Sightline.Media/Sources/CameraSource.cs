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
/// Video goes through a <see cref="QualityLadder"/> only when someone needs it: an adaptive viewer whose own link does
/// not carry the camera's stream moves to a re-encoded rung shared with every viewer on it (and back up when its link
/// allows), and a camera codec browsers cannot decode (H.265, MJPEG) is re-encoded for everyone. With every viewer on
/// the camera's own stream no decoder or encoder runs.
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
    private long _ladderIdleSince;
    private readonly PacketizedFrame?[] _rungOutputs = new PacketizedFrame?[QualityLadder.RungCount];
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
    /// <summary>True when rung 0 is the camera's own video (a codec browsers decode), false when it must be re-encoded.</summary>
    public bool PassthroughTop => _camera.Tracks.FirstOrDefault(t => t.IsVideo) is not { } video || QualityLadder.BrowsersDecode(video.Codec);

    /// <summary>Moves of viewers between rungs since the camera was published.</summary>
    public long LayerSwitches => Interlocked.Read(ref _switches);
    private int _gopBytes;
    private bool _gopValid;
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

    /// <summary>What this camera can send to a browser now (video H.264/VP8, audio G.711/Opus), from its last session.</summary>
    public IReadOnlyList<TrackSpec> BrowserTracks()
    {
        var specs = new List<TrackSpec>();
        foreach (var t in _camera.Tracks)
        {
            if (QualityLadder.BrowsersDecode(t.Codec)) specs.Add(new TrackSpec("video", t.Codec, t.Parameters.ProfileLevelId));
            // Browsers cannot decode these over WebRTC: they get H.264 made by the transcoder.
            else if (t.Codec is MediaCodec.H265 or MediaCodec.MJPEG) specs.Add(new TrackSpec("video", MediaCodec.H264, "42e01f"));
            else if (t.Codec is MediaCodec.PCMU or MediaCodec.PCMA or MediaCodec.Opus) specs.Add(new TrackSpec("audio", t.Codec));
            // AAC is not a WebRTC codec: browsers get Opus made by the audio transcoder.
            else if (t.Codec == MediaCodec.AAC) specs.Add(new TrackSpec("audio", MediaCodec.Opus));
        }
        return specs;
    }

    /// <summary>Waits until the camera has played at least once (so its codecs are known), or the timeout.</summary>
    public async Task<bool> WaitForTracksAsync(TimeSpan timeout, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_camera.Tracks.Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(50, cancel);
        return _camera.Tracks.Count > 0;
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
    /// Adds a viewer; once its peer is connected it gets the cached GOP, then live frames. An <paramref name="adaptive"/>
    /// viewer (<c>adaptativeBitrate</c>) moves between the ladder's rungs with its own bandwidth estimates.
    /// </summary>
    public void AddViewer(PeerConnection peer, bool adaptive = false)
    {
        var video = peer.Tracks.FirstOrDefault(t => t.Kind == "video");
        var viewer = new Viewer(peer, adaptive, new RungSelector(TimeProvider.System) { CanProbe = video?.RtxSsrc is not null })
        {
            Video = video,
            Audio = peer.Tracks.FirstOrDefault(t => t.Kind == "audio"),
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

    /// <summary>Viewers on each rung now (index 0 = the best picture).</summary>
    public int[] ViewersPerRung()
    {
        var counts = new int[QualityLadder.RungCount];
        foreach (var v in _viewers) counts[v.Rung]++;
        return counts;
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
        PacketizedFrame[] gop;
        lock (_gate)
        {
            gop = _gopValid ? [.. _gop] : [];
            viewer.Live = true;
        }
        if (viewer.Video is not { } track) return;
        foreach (var frame in gop) viewer.Peer.SendFrame(track, frame);
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
                OnVideo(frame);
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

    // Video: rung 0 (the camera's own H.264/VP8) goes out first, untouched; then, only if some viewer needs them, the
    // ladder decodes the frame once and encodes each wanted rung once for all its viewers.
    private void OnVideo(EncodedFrame frame)
    {
        _cameraRate.Add(frame.Data.Length, Stopwatch.GetTimestamp());
        var passthrough = QualityLadder.BrowsersDecode(frame.Codec);
        PacketizedFrame? packetized = null;
        if (passthrough)
        {
            packetized = frame.Codec == MediaCodec.H264
                ? H264Packetizer.Packetize(frame.Data, frame.RtpTimestamp, frame.IsKeyframe)
                : Vp8Packetizer.Packetize(frame.Data, frame.RtpTimestamp, frame.IsKeyframe);
        }
        Remember(frame, packetized);
        var viewers = _viewers;
        var batch = viewers.Length == 0 ? null : _videoBatch ??= viewers[0].Peer.CreateSendBatch();
        var wanted = 0;
        foreach (var viewer in viewers)
        {
            if (!viewer.Live) continue;
            if (passthrough)
            {
                if (viewer.Pending == 0 && frame.IsKeyframe) Switch(viewer, 0, awaitKeyframe: false);
                else if (viewer.Pending > 0 && viewer.Rung == 0 && _ladder is { Synced: true }) Switch(viewer, viewer.Pending, awaitKeyframe: true);
                if (viewer.Rung == 0) Send(viewer, packetized!, batch!);
            }
            if (viewer.Rung > 0 || !passthrough) wanted |= 1 << viewer.Rung;
            if (viewer.Pending > 0 || viewer.Pending == 0 && !passthrough) wanted |= 1 << viewer.Pending;
        }
        batch?.Flush();
        if (passthrough && viewers.Length > 0) FramesFannedOut++;
        RunLadder(frame, passthrough, wanted, viewers, batch);
    }

    private void RunLadder(EncodedFrame frame, bool passthrough, int wanted, Viewer[] viewers, Sightline.WebRtc.Transport.SendBatch? batch)
    {
        var now = Stopwatch.GetTimestamp();
        if (wanted == 0)
        {
            if (_ladder is null) return;
            // Nobody needs a re-encoded rung: keep decoding a moment (a viewer may come back), then free it all.
            if (_ladderIdleSince == 0) _ladderIdleSince = now;
            if (Stopwatch.GetElapsedTime(_ladderIdleSince, now) > QualityLadder.RungLinger)
            {
                _logger.LogInformation("Camera {Uri}: no viewer needs a re-encoded rung: decoder and encoders stopped", _camera.DisplayUri);
                _ladder.Dispose();
                _ladder = null;
                return;
            }
        }
        else _ladderIdleSince = 0;
        if (_ladder is null)
        {
            if (_ladderFailed) return;
            try
            {
                _ladder = new QualityLadder(frame.Codec, passthrough, LadderOptions);
            }
            catch (Sightline.Codecs.CodecException e)
            {
                // No FFmpeg layer on this machine: say so once; the camera keeps playing for passthrough viewers.
                _ladderFailed = true;
                _logger.LogError("Camera {Uri}: cannot decode {Codec} for re-encoding: {Reason}", _camera.DisplayUri, frame.Codec, e.Message);
                return;
            }
            if (passthrough) _logger.LogInformation("Camera {Uri}: a viewer's link needs a lighter picture: the camera is decoded for re-encoded rungs", _camera.DisplayUri);
            else _logger.LogInformation("Camera {Uri}: {Codec} is transcoded to H.264 for browsers, which cannot decode it over WebRTC", _camera.DisplayUri, frame.Codec);
            // Bring the new decoder up to this frame from the cached GOP, without encoding.
            EncodedFrame[] gop;
            lock (_gate) gop = [.. _rawGop];
            if (gop.Length > 0 && ReferenceEquals(gop[^1], frame))
            {
                foreach (var earlier in gop.AsSpan(0, gop.Length - 1)) TryDecode(earlier, 0);
            }
        }
        _ladder.CameraBitrate = _cameraRate.BitsPerSecond;
        Span<long> caps = stackalloc long[QualityLadder.RungCount];
        foreach (var viewer in viewers)
        {
            if (viewer.KeyframeWanted && (viewer.Rung > 0 || !passthrough))
            {
                viewer.KeyframeWanted = false;
                _ladder.RequestKeyframeForViewer(viewer.Rung);
            }
            // A viewer on a rung its link cannot carry (the lowest one) holds that rung's encoder down to what it can.
            var capacity = viewer.Adaptive ? viewer.Selector.Capacity * 4 / 5 : 0;
            if (capacity > 0 && capacity < _ladder.BitrateOf(viewer.Rung) && (caps[viewer.Rung] == 0 || capacity < caps[viewer.Rung])) caps[viewer.Rung] = capacity;
            if (viewer.AwaitKeyframe) _ladder.RequestKeyframe(viewer.Rung);
            if (viewer.Pending > 0) _ladder.RequestKeyframe(viewer.Pending);
        }
        for (var i = 0; i < caps.Length; i++) _ladder.SetCap(i, caps[i]);
        if (!TryDecode(frame, wanted)) return;
        foreach (var viewer in viewers)
        {
            if (!viewer.Live) continue;
            if (viewer.Rung == 0 && passthrough) continue;
            var pending = viewer.Pending;
            if (pending >= 0 && (pending > 0 || !passthrough) && _rungOutputs[pending] is { IsKeyframe: true }) Switch(viewer, pending, awaitKeyframe: false);
            if (_rungOutputs[viewer.Rung] is not { } output) continue;
            if (viewer.AwaitKeyframe)
            {
                if (!output.IsKeyframe) continue;
                viewer.AwaitKeyframe = false;
            }
            Send(viewer, output, batch!);
        }
        batch?.Flush();
        if (!passthrough && viewers.Length > 0) FramesFannedOut++;
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
        for (var i = 0; i < bitrates.Length; i++) bitrates[i] = QualityLadder.BitrateOf(i, PassthroughTop, _cameraRate.BitsPerSecond, LadderOptions);
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
    private void Remember(EncodedFrame raw, PacketizedFrame? packetized)
    {
        lock (_gate)
        {
            if (raw.IsKeyframe)
            {
                _gop.Clear();
                _rawGop.Clear();
                _gopBytes = 0;
                _gopValid = true;
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
    }
}
