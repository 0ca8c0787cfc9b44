using Microsoft.Extensions.Logging;
using Sightline.Rtp.Packetization;
using Sightline.Rtsp.Client;
using Sightline.WebRtc;

namespace Sightline.Media.Sources;

/// <summary>
/// One camera pulled once and fanned out to every viewer: frames are packetized once per track, kept from the last
/// keyframe (bounded in bytes) so a new viewer starts at once, and handed to each viewer's peer connection, which only
/// writes a header and encrypts. Viewers live in a copy-on-write array: the camera's loop takes no lock to fan out.
/// </summary>
public sealed class CameraSource : IAsyncDisposable
{
    /// <summary>Most bytes kept for the current GOP; a longer GOP is cut and a new viewer waits for the next keyframe.</summary>
    public const int MaxGopBytes = 8 * 1024 * 1024;

    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<PacketizedFrame> _gop = [];
    private readonly RtspCamera _camera;
    private volatile Viewer[] _viewers = [];
    // One batch per kind: video and audio may arrive on different threads (UDP), each kind on one.
    private Sightline.WebRtc.Transport.SendBatch? _videoBatch, _audioBatch;
    private Transcoding.BrowserTranscoder? _transcoder;
    private bool _transcoderFailed;
    private Sightline.Codecs.AudioTranscoder? _audioTranscoder;
    // Native batches and transcoders are used on camera threads and freed at disposal: one gate, so none is freed in use.
    private readonly Lock _transcodeGate = new();
    private bool _disposed;
    private bool _audioTranscoderFailed;
    private uint _opusTimestamp;

    /// <summary>Bitrate of the H.264 made for browsers from an H.265 or MJPEG camera. Defaults to 1 Mb/s.</summary>
    public int TranscodeBitrate { get; init; } = 1_000_000;

    /// <summary>The transcoder's counters when one runs (H.265/MJPEG cameras being watched).</summary>
    public Transcoding.BrowserTranscoder? Transcoder => _transcoder;
    private int _gopBytes;
    private bool _gopValid;
    private bool _running;

    public CameraSource(string uri, int networkCacheMs, ILogger logger)
    {
        Uri = uri;
        _logger = logger;
        _camera = new RtspCamera(new RtspClientOptions { Uri = uri, NetworkCacheMs = networkCacheMs }, logger);
        _camera.FrameReceived += OnFrame;
    }

    public string Uri { get; }
    public RtspCamera Camera => _camera;
    public bool IsRunning => _running;
    public int ViewerCount => _viewers.Length;
    public long FramesFannedOut { get; private set; }

    /// <summary>What this camera can send to a browser now (video H.264/VP8, audio G.711/Opus), from its last session.</summary>
    public IReadOnlyList<TrackSpec> BrowserTracks()
    {
        var specs = new List<TrackSpec>();
        foreach (var t in _camera.Tracks)
        {
            if (t.Codec is MediaCodec.H264 or MediaCodec.VP8) specs.Add(new TrackSpec("video", t.Codec, t.Parameters.ProfileLevelId));
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
            _gopBytes = 0;
            _gopValid = false;
        }
        await _camera.StopAsync();
    }

    /// <summary>Adds a viewer; once its peer is connected it gets the cached GOP, then live frames.</summary>
    public void AddViewer(PeerConnection peer)
    {
        var viewer = new Viewer(peer);
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

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _camera.DisposeAsync();
        lock (_transcodeGate)
        {
            _disposed = true;
            _transcoder?.Dispose();
            _audioTranscoder?.Dispose();
            _videoBatch?.Dispose();
            _audioBatch?.Dispose();
            _transcoder = null;
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
        var track = viewer.Peer.Tracks.FirstOrDefault(t => t.Kind == "video");
        if (track is null) return;
        foreach (var frame in gop) viewer.Peer.SendFrame(track, frame);
    }

    private void OnFrame(RtspTrack track, EncodedFrame frame, DateTimeOffset wallClock)
    {
        // Camera threads (one per UDP track, or the TCP reading loop) and disposal meet here: native send batches and
        // transcoders are never freed while a frame is using them.
        lock (_transcodeGate)
        {
            if (!_disposed) OnFrameLocked(track, frame);
        }
    }

    private void OnFrameLocked(RtspTrack track, EncodedFrame frame)
    {
        var kind = track.IsVideo ? "video" : "audio";
        PacketizedFrame packetized;
        switch (frame.Codec)
        {
            case MediaCodec.H264:
                packetized = H264Packetizer.Packetize(frame.Data, frame.RtpTimestamp, frame.IsKeyframe);
                break;
            case MediaCodec.VP8:
                packetized = Vp8Packetizer.Packetize(frame.Data, frame.RtpTimestamp, frame.IsKeyframe);
                break;
            case MediaCodec.PCMU or MediaCodec.PCMA or MediaCodec.Opus:
                packetized = new PacketizedFrame(frame.Data, [(0, frame.Data.Length)], frame.RtpTimestamp, true);
                break;
            case MediaCodec.H265 or MediaCodec.MJPEG:
                Transcode(frame);
                return;
            case MediaCodec.AAC:
                TranscodeAudio(track, frame);
                return;
            default:
                return;
        }
        FanOut(kind, packetized);
    }

    // H.265/MJPEG to H.264 for browsers, only while someone watches; the log says why the first time.
    private void Transcode(EncodedFrame frame)
    {
        var viewers = _viewers;
        if (viewers.Length == 0)
        {
            _transcoder?.Dispose();
            _transcoder = null;
            return;
        }
        if (_transcoderFailed) return;
        if (_transcoder is null)
        {
            _logger.LogInformation("Camera {Uri}: {Codec} is transcoded to H.264 for browsers, which cannot decode it over WebRTC", _camera.DisplayUri, frame.Codec);
            try
            {
                _transcoder = new Transcoding.BrowserTranscoder(frame.Codec, TranscodeBitrate);
            }
            catch (Sightline.Codecs.CodecException e)
            {
                // No FFmpeg layer on this machine: say so once; the camera keeps playing for recorders and H.264 viewers.
                _transcoderFailed = true;
                _logger.LogError("Camera {Uri}: cannot transcode {Codec} for browsers: {Reason}", _camera.DisplayUri, frame.Codec, e.Message);
                return;
            }
        }
        foreach (var viewer in viewers)
        {
            if (viewer.KeyframeWanted)
            {
                viewer.KeyframeWanted = false;
                _transcoder.RequestKeyframe();
            }
        }
        List<(byte[] AccessUnit, bool Keyframe, uint Timestamp)> output;
        try
        {
            output = _transcoder.Transcode(frame);
        }
        catch (Sightline.Codecs.CodecException e)
        {
            // A frame the decoder rejects (loss broke it) is skipped; the next keyframe repairs the picture.
            _logger.LogDebug("Camera {Uri}: transcoding skipped a frame: {Reason}", _camera.DisplayUri, e.Message);
            return;
        }
        foreach (var (au, key, timestamp) in output)
        {
            FanOut("video", H264Packetizer.Packetize(au, timestamp, key));
        }
    }

    // AAC to Opus while someone watches; Opus timestamps start at the camera's time, in 48 kHz units.
    private void TranscodeAudio(RtspTrack track, EncodedFrame frame)
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
                _opusTimestamp = (uint)((long)frame.RtpTimestamp * 48000 / Math.Max(1, track.ClockRate));
                _logger.LogInformation("Camera {Uri}: AAC audio is transcoded to Opus for browsers", _camera.DisplayUri);
            }
            catch (Sightline.Codecs.CodecException e)
            {
                _audioTranscoderFailed = true;
                _logger.LogError("Camera {Uri}: cannot transcode AAC for browsers: {Reason}", _camera.DisplayUri, e.Message);
                return;
            }
        }
        try
        {
            _audioTranscoder.Transcode(frame.Data, packet =>
            {
                var data = packet.ToArray();
                FanOut("audio", new PacketizedFrame(data, [(0, data.Length)], _opusTimestamp, true));
                _opusTimestamp += Sightline.Codecs.AudioTranscoder.FrameSamples;
            });
        }
        catch (Sightline.Codecs.CodecException e)
        {
            _logger.LogDebug("Camera {Uri}: an AAC frame could not be decoded: {Reason}", _camera.DisplayUri, e.Message);
        }
    }

    private void FanOut(string kind, PacketizedFrame packetized)
    {
        if (kind == "video") Remember(packetized);
        var viewers = _viewers;
        if (viewers.Length == 0) return;
        var batch = kind == "video" ? _videoBatch ??= viewers[0].Peer.CreateSendBatch() : _audioBatch ??= viewers[0].Peer.CreateSendBatch();
        foreach (var viewer in viewers)
        {
            if (!viewer.Live) continue;
            foreach (var outbound in viewer.Peer.Tracks)
            {
                if (outbound.Kind == kind) viewer.Peer.SendFrame(outbound, packetized, batch);
            }
        }
        batch.Flush();
        FramesFannedOut++;
    }

    private void Remember(PacketizedFrame frame)
    {
        lock (_gate)
        {
            if (frame.IsKeyframe)
            {
                _gop.Clear();
                _gopBytes = 0;
                _gopValid = true;
            }
            if (!_gopValid) return;
            _gopBytes += frame.Buffer.Length;
            if (_gopBytes > MaxGopBytes)
            {
                _gop.Clear();
                _gopBytes = 0;
                _gopValid = false;
                return;
            }
            _gop.Add(frame);
        }
    }

    private sealed class Viewer(PeerConnection peer)
    {
        public PeerConnection Peer { get; } = peer;
        public volatile bool Live;
        public volatile bool KeyframeWanted;
    }
}
