using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Sightline.Codecs;
using Sightline.Media.Sources;
using Sightline.Recording.Containers;
using Sightline.Rtp.Codecs;
using Sightline.Rtp.Packetization;
using Sightline.Sessions.Model;

namespace Sightline.Recording.Composed;

/// <summary>
/// A <c>COMPOSED</c> recording: every recorded stream's video decoded, scaled into OpenVidu's <c>BEST_FIT</c> grid on
/// a canvas of the requested resolution, and encoded once (libx264) into one fragmented MP4 at the requested frame
/// rate. The canvas is paced by the wall clock, not by the cameras: a camera that stalls keeps its last picture and
/// the file keeps its pace. Streams joining or leaving re-layout the grid. A thumbnail (<c>&lt;id&gt;.jpg</c>) is taken
/// from the middle of the video. Audio: every camera's audio decoded to 48 kHz mono, mixed on the same clock, and
/// encoded to AAC; a camera whose audio is late or gone is silence in the mix, never a stall.
/// </summary>
internal sealed class ComposedJob : IRecordingJob
{
    private const int Bitrate = 2_500_000;
    private readonly RecordingInfo _recording;
    private readonly string _folder;
    private readonly CameraSourcePool _cameras;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly int _width, _height, _fps;
    private readonly Lock _gate = new();
    private readonly List<Tile> _tiles = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<(double Seconds, byte[] Jpeg)> _snapshots = [];
    private double _snapshotEvery = 1;
    private string? _error;
    private long _frames;
    private long _size;
    private long _mixed;
    private readonly List<short> _pending = [];

    public ComposedJob(RecordingInfo recording, string folder, CameraSourcePool cameras, ILogger logger, TimeProvider time)
    {
        _recording = recording;
        _folder = folder;
        _cameras = cameras;
        _logger = logger;
        _time = time;
        var parts = recording.Properties.Resolution.Split('x');
        _width = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) & ~1;
        _height = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) & ~1;
        _fps = recording.Properties.FrameRate;
        _loop = Task.Run(RunAsync);
    }

    public event Action<string>? Failed;

    private string VideoPath => Path.Combine(_folder, _recording.Id + ".mp4");

    public void AddStream(PublishedStream stream, Connection publisher)
    {
        if (!publisher.Properties.Record || stream.IpCamera is not { } cam) return;
        lock (_gate)
        {
            if (_tiles.Any(t => t.StreamId == stream.StreamId)) return;
            if (_cameras.HoldForRecorder(cam.RtspUri) is not { } lease) return;
            var tile = new Tile(stream.StreamId, lease, _logger, _recording.Properties.HasVideo, _recording.Properties.HasAudio);
            _tiles.Add(tile);
            Relayout();
            lease.Attach(tile);
        }
        _logger.LogInformation("Recording {Id}: camera stream {Stream} joins the composed grid", _recording.Id, stream.StreamId);
    }

    public async Task RemoveStreamAsync(string streamId)
    {
        Tile? tile;
        lock (_gate)
        {
            tile = _tiles.FirstOrDefault(t => t.StreamId == streamId);
            if (tile is null) return;
            _tiles.Remove(tile);
            Relayout();
        }
        await EndAsync(tile);
    }

    private async Task EndAsync(Tile tile)
    {
        tile.Lease.Dispose();
        await tile.DisposeAsync();
    }

    // BEST_FIT: n streams in ceil(sqrt(n)) columns and as many rows as needed, each picture fitted (aspect kept) and
    // centred in its cell.
    private void Relayout()
    {
        var n = _tiles.Count;
        if (n == 0) return;
        var cols = (int)Math.Ceiling(Math.Sqrt(n));
        var rows = (int)Math.Ceiling((double)n / cols);
        var cellW = _width / cols & ~1;
        var cellH = _height / rows & ~1;
        for (var i = 0; i < n; i++) _tiles[i].Cell = ((i % cols) * cellW, (i / cols) * cellH, cellW, cellH);
    }

    private async Task RunAsync()
    {
        var y = new byte[_width * _height];
        var u = new byte[_width * _height / 4];
        var v = new byte[_width * _height / 4];
        VideoEncoder? encoder = null;
        VideoEncoder? jpeg = null;
        AacEncoder? aac = null;
        FileStream? file = null;
        Mp4Writer? mp4 = null;
        var started = Stopwatch.GetTimestamp();
        var period = 1.0 / _fps;
        var hasVideo = _recording.Properties.HasVideo;
        try
        {
            if (hasVideo)
            {
                encoder = new VideoEncoder("libx264", _width, _height, _fps, Bitrate);
                jpeg = new VideoEncoder("mjpeg", _width, _height, _fps, 8_000_000);
            }
            if (_recording.Properties.HasAudio) aac = new AacEncoder();
            Mp4Writer Open(List<byte[]> parameterSets)
            {
                Directory.CreateDirectory(_folder);
                file = new FileStream(VideoPath, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
                var tracks = new List<Mp4Track>();
                if (hasVideo) tracks.Add(new Mp4Track(MediaCodec.H264, 90000, _width, _height, parameterSets));
                if (aac is not null) tracks.Add(new Mp4Track(MediaCodec.AAC, PcmDecoder.SampleRate, AudioConfig: aac.Config, Channels: 1, SampleRate: PcmDecoder.SampleRate));
                return new Mp4Writer(file, tracks);
            }
            if (!hasVideo) mp4 = Open([]);
            while (!_stop.IsCancellationRequested)
            {
                var due = started + (long)(_frames * period * Stopwatch.Frequency);
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    try
                    {
                        await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
                if (encoder is not null)
                {
                    Compose(y, u, v);
                    var pts = _frames * 90000 / _fps;
                    var keyframe = _frames % (_fps * 2) == 0;
                    EncodeInto(encoder, y, u, v, pts, keyframe, (packet, key, outPts) =>
                    {
                        var sample = NalUnits.ToLengthPrefixed(packet);
                        if (mp4 is null)
                        {
                            if (!key) return;
                            mp4 = Open(NalUnits.ParameterSets(sample, h265: false));
                        }
                        mp4.Write(0, sample, outPts, key);
                    });
                    Snapshot(jpeg!, y, u, v, _frames * period);
                }
                _frames++;
                if (aac is not null) Mix(aac, mp4, hasVideo ? 1 : 0);
            }
            mp4?.Finish();
            _size = file?.Length ?? 0;
            aac?.Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CodecException)
        {
            _error = e.Message;
            _logger.LogError("Recording {Id}: the composed file cannot be written: {Reason}", _recording.Id, e.Message);
            Failed?.Invoke(e.Message);
        }
        finally
        {
            mp4?.Dispose();
            if (file is not null) await file.DisposeAsync();
            encoder?.Dispose();
            jpeg?.Dispose();
        }
    }

    // The audio of this tick (48 kHz, exactly as many samples as the video clock has advanced): every tile's decoded
    // audio summed and clipped, then AAC frames of 1024 samples as they fill.
    private void Mix(AacEncoder aac, Mp4Writer? mp4, int track)
    {
        var due = _frames * PcmDecoder.SampleRate / _fps;
        var n = (int)(due - _mixed);
        if (n <= 0) return;
        _mixed = due;
        var mix = new int[n];
        Tile[] tiles;
        lock (_gate) tiles = [.. _tiles];
        var buffer = new short[n];
        foreach (var t in tiles)
        {
            var got = t.TakeAudio(buffer);
            for (var i = 0; i < got; i++) mix[i] += buffer[i];
        }
        foreach (var m in mix) _pending.Add((short)Math.Clamp(m, short.MinValue, short.MaxValue));
        var frame = aac.FrameSize;
        while (_pending.Count >= frame)
        {
            var chunk = _pending.GetRange(0, frame).ToArray();
            _pending.RemoveRange(0, frame);
            aac.Encode(chunk, (packet, _, pts) => mp4?.Write(track, packet, pts, true));
        }
    }

    private void Compose(byte[] y, byte[] u, byte[] v)
    {
        // Black (video range) background, then every tile's latest picture in its cell.
        Array.Fill(y, (byte)16);
        Array.Fill(u, (byte)128);
        Array.Fill(v, (byte)128);
        Tile[] tiles;
        lock (_gate) tiles = [.. _tiles];
        foreach (var t in tiles) t.DrawInto(y, u, v, _width);
    }

    private static void EncodeInto(VideoEncoder encoder, byte[] y, byte[] u, byte[] v, long pts, bool keyframe, PacketHandler onPacket) =>
        encoder.EncodeI420(y, u, v, pts, keyframe, onPacket);

    // A JPEG of the canvas now and then, thinned as the recording grows (never more than 16 kept), for the thumbnail.
    private void Snapshot(VideoEncoder jpeg, byte[] y, byte[] u, byte[] v, double seconds)
    {
        if (_snapshots.Count > 0 && seconds - _snapshots[^1].Seconds < _snapshotEvery) return;
        byte[]? image = null;
        EncodeInto(jpeg, y, u, v, _frames, true, (packet, _, _) => image = packet.ToArray());
        if (image is null) return;
        _snapshots.Add((seconds, image));
        if (_snapshots.Count <= 16) return;
        for (var i = _snapshots.Count - 1; i >= 0; i -= 2) _snapshots.RemoveAt(i);
        _snapshotEvery *= 2;
    }

    public async Task<JobResult> FinishAsync()
    {
        List<Tile> tiles;
        lock (_gate)
        {
            tiles = [.. _tiles];
            _tiles.Clear();
        }
        _stop.Cancel();
        await _loop;
        foreach (var t in tiles) await EndAsync(t);
        var duration = (double)_frames / _fps;
        if (_error is not null) return new JobResult(_size, duration, null, _error);
        if (_size == 0) return new JobResult(0, 0, null, "no video was composed (the recording was stopped before its first frame)");
        if (_snapshots.Count > 0)
        {
            var middle = _snapshots.MinBy(s => Math.Abs(s.Seconds - duration / 2));
            try
            {
                await File.WriteAllBytesAsync(Path.Combine(_folder, _recording.Id + ".jpg"), middle.Jpeg);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new JobResult(_size, duration, null, e.Message);
            }
        }
        return new JobResult(_size, duration, _recording.Id + ".mp4", null);
    }

    /// <summary>
    /// One stream of the grid: its frames are decoded on their own task and scaled to fit its cell; the compositor
    /// copies the latest picture.
    /// </summary>
    private sealed class Tile : IFrameSink, IAsyncDisposable
    {
        private readonly Channel<(MediaCodec Codec, byte[] Data, bool Key, bool Reorders)> _frames =
            Channel.CreateBounded<(MediaCodec, byte[], bool, bool)>(new BoundedChannelOptions(120) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
        private readonly Channel<(ICameraTrack Track, byte[] Data)> _audioFrames =
            Channel.CreateBounded<(ICameraTrack, byte[])>(new BoundedChannelOptions(200) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
        private readonly Task _audioLoop;
        private readonly bool _video, _audio;
        // Decoded audio waiting for the mixer (48 kHz mono), at most a second; mixed once 100 ms are there.
        private readonly Queue<short> _pcm = new();
        private bool _pcmPrimed;
        private readonly Lock _gate = new();
        private readonly ILogger _logger;
        private readonly Task _loop;
        private byte[] _y = [], _u = [], _v = [];
        private int _w, _h;

        public Tile(string streamId, CameraSourcePool.RecorderLease lease, ILogger logger, bool video, bool audio)
        {
            StreamId = streamId;
            Lease = lease;
            _logger = logger;
            _video = video;
            _audio = audio;
            _loop = Task.Run(DecodeAsync);
            _audioLoop = Task.Run(DecodeAudioAsync);
        }

        private async Task DecodeAudioAsync()
        {
            PcmDecoder? decoder = null;
            var samples = new short[8192];
            try
            {
                await foreach (var (track, data) in _audioFrames.Reader.ReadAllAsync())
                {
                    var p = track.Parameters;
                    decoder ??= new PcmDecoder(track.Codec switch
                    {
                        MediaCodec.AAC => "aac",
                        MediaCodec.PCMU => "pcm_mulaw",
                        MediaCodec.PCMA => "pcm_alaw",
                        _ => "opus",
                    }, p.Config ?? [], p.SampleRate ?? track.ClockRate, p.Channels ?? 1);
                    try
                    {
                        decoder.Decode(data);
                    }
                    catch (CodecException)
                    {
                        continue; // a broken frame is a moment of silence
                    }
                    int n;
                    while ((n = decoder.Read(samples)) > 0)
                    {
                        lock (_gate)
                        {
                            for (var i = 0; i < n; i++) _pcm.Enqueue(samples[i]);
                            while (_pcm.Count > PcmDecoder.SampleRate) _pcm.Dequeue();
                        }
                    }
                }
            }
            catch (CodecException e)
            {
                _logger.LogError("Composed recording: the audio of {Stream} cannot be decoded: {Reason}", StreamId, e.Message);
            }
            finally
            {
                decoder?.Dispose();
            }
        }

        /// <summary>Fills <paramref name="output"/> with this tile's next audio; returns how many samples (the rest is silence).</summary>
        public int TakeAudio(Span<short> output)
        {
            lock (_gate)
            {
                if (!_pcmPrimed && _pcm.Count < PcmDecoder.SampleRate / 10) return 0;
                _pcmPrimed = true;
                var n = Math.Min(output.Length, _pcm.Count);
                for (var i = 0; i < n; i++) output[i] = _pcm.Dequeue();
                if (_pcm.Count == 0) _pcmPrimed = false; // ran dry: wait for 100 ms again
                return n;
            }
        }

        public string StreamId { get; }
        /// <summary>The camera held for this tile.</summary>
        public CameraSourcePool.RecorderLease Lease { get; }
        /// <summary>The tile's cell on the canvas (x, y, width, height).</summary>
        public (int X, int Y, int W, int H) Cell { get; set; }

        public void OnFrame(ICameraTrack track, EncodedFrame frame, DateTimeOffset? wallClock)
        {
            if (track.IsVideo)
            {
                if (_video) _frames.Writer.TryWrite((frame.Codec, frame.Data, frame.IsKeyframe, track.Parameters.ReorderDepth is > 0));
            }
            else if (_audio && frame.Codec is MediaCodec.AAC or MediaCodec.PCMU or MediaCodec.PCMA or MediaCodec.Opus)
            {
                _audioFrames.Writer.TryWrite((track, frame.Data));
            }
        }

        private async Task DecodeAsync()
        {
            VideoDecoder? decoder = null;
            Scaler? scaler = null;
            var scalerSize = (0, 0);
            var synced = false;
            try
            {
                await foreach (var (codec, data, key, reorders) in _frames.Reader.ReadAllAsync())
                {
                    if (!synced && !key) continue;
                    synced = true;
                    // A camera with B-frames: pictures must come out in presentation order.
                    decoder ??= new VideoDecoder(codec switch { MediaCodec.H264 => "h264", MediaCodec.H265 => "hevc", MediaCodec.VP8 => "vp8", _ => "mjpeg" }, lowDelay: !reorders);
                    try
                    {
                        decoder.Decode(codec is MediaCodec.H264 or MediaCodec.H265 ? NalUnits.ToAnnexB(data) : data, 0, (in Picture p) =>
                        {
                            var cell = Cell;
                            if (cell.W == 0 || p.Width == 0) return;
                            // Fit the picture in the cell, keeping its shape.
                            var scale = Math.Min((double)cell.W / p.Width, (double)cell.H / p.Height);
                            var w = Math.Max(2, (int)(p.Width * scale) & ~1);
                            var h = Math.Max(2, (int)(p.Height * scale) & ~1);
                            if (scaler is null || scalerSize != (w, h))
                            {
                                scaler?.Dispose();
                                scaler = new Scaler(w, h);
                                scalerSize = (w, h);
                            }
                            scaler.Scale(in p, (in Picture s) => Keep(in s));
                        });
                    }
                    catch (CodecException e)
                    {
                        _logger.LogDebug("Composed recording: a frame of {Stream} was not decoded: {Reason}", StreamId, e.Message);
                    }
                }
            }
            catch (CodecException e)
            {
                _logger.LogError("Composed recording: {Stream} cannot be decoded: {Reason}", StreamId, e.Message);
            }
            finally
            {
                decoder?.Dispose();
                scaler?.Dispose();
            }
        }

        private void Keep(in Picture s)
        {
            lock (_gate)
            {
                if (_w != s.Width || _h != s.Height)
                {
                    _w = s.Width;
                    _h = s.Height;
                    _y = new byte[_w * _h];
                    _u = new byte[_w * _h / 4];
                    _v = new byte[_w * _h / 4];
                }
                s.CopyPlanesTo(_y, _u, _v);
            }
        }

        /// <summary>Copies the latest picture, centred in the cell, onto the canvas planes.</summary>
        public void DrawInto(byte[] y, byte[] u, byte[] v, int stride)
        {
            var cell = Cell;
            lock (_gate)
            {
                if (_w == 0 || _w > cell.W || _h > cell.H) return; // first picture not yet, or a re-layout in progress
                var x0 = (cell.X + (cell.W - _w) / 2) & ~1;
                var y0 = (cell.Y + (cell.H - _h) / 2) & ~1;
                for (var r = 0; r < _h; r++) _y.AsSpan(r * _w, _w).CopyTo(y.AsSpan((y0 + r) * stride + x0));
                for (var r = 0; r < _h / 2; r++)
                {
                    _u.AsSpan(r * _w / 2, _w / 2).CopyTo(u.AsSpan((y0 / 2 + r) * stride / 2 + x0 / 2));
                    _v.AsSpan(r * _w / 2, _w / 2).CopyTo(v.AsSpan((y0 / 2 + r) * stride / 2 + x0 / 2));
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            _frames.Writer.TryComplete();
            _audioFrames.Writer.TryComplete();
            await _loop;
            await _audioLoop;
        }
    }
}
