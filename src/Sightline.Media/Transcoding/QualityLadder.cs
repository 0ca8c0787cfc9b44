using System.Diagnostics;
using Sightline.Codecs;
using Sightline.Rtp.Packetization;

namespace Sightline.Media.Transcoding;

/// <summary>Bitrate bounds of re-encoded rungs, in bits per second (OpenVidu's MIN/MAX_SEND_BANDWIDTH); 0 = unbounded.</summary>
public sealed record LadderOptions(int MinBitrate = 300_000, int MaxBitrate = 1_000_000, int TopBitrate = 1_000_000, int FramesPerSecond = 25);

/// <summary>
/// A camera's quality ladder: the camera decoded once, and each layer that some viewer needs scaled and encoded once
/// for all the viewers on it. A layer is a rung (0 full size, 1 half, 2 a quarter) in one of the codecs browsers
/// decode (H.264 Constrained Baseline, VP8): every viewer gets its layers in the codec its own offer took, so an H.264
/// camera can be watched by a browser without H.264 (re-encoded to VP8) beside browsers that take the camera's stream
/// as it is. A layer costs nothing while no viewer is on it: its encoder is made when it is first wanted and freed a
/// little after it was last wanted. Runs on the camera's thread.
/// </summary>
public sealed class QualityLadder : IDisposable
{
    public const int RungCount = 3;
    /// <summary>The codecs layers are encoded in; a layer's index is <c>codec × RungCount + rung</c>.</summary>
    public static readonly MediaCodec[] OutputCodecs = [MediaCodec.H264, MediaCodec.VP8];
    public const int LayerCount = RungCount * 2;
    /// <summary>Re-encoded layers put in a keyframe this often (and whenever a viewer asks).</summary>
    public static readonly TimeSpan KeyframeInterval = TimeSpan.FromSeconds(3);
    /// <summary>An unwanted layer keeps its encoder this long, so a viewer going back and forth does not recreate it.</summary>
    public static readonly TimeSpan RungLinger = TimeSpan.FromSeconds(2);

    private readonly VideoDecoder _decoder;
    private readonly LadderOptions _options;
    private readonly Rung[] _layers = new Rung[LayerCount];
    private byte[] _annexB = new byte[64 * 1024];
    private byte[] _prefixed = new byte[64 * 1024];
    private Sightline.Rtp.Time.TimestampUnwrapper _timestamps;
    private bool _synced;
    private long _decodeTicks;
    private long _lastPts = long.MinValue;

    /// <param name="source">The camera's video codec.</param>
    /// <param name="reorders">The camera's stream reorders frames (B-frames): the decoder must reorder its output, and
    /// the encoders get pictures in presentation order.</param>
    public QualityLadder(MediaCodec source, LadderOptions options, bool reorders = false)
    {
        _options = options;
        _decoder = new VideoDecoder(source switch
        {
            MediaCodec.H264 => "h264",
            MediaCodec.H265 => "hevc",
            MediaCodec.MJPEG => "mjpeg",
            MediaCodec.VP8 => "vp8",
            _ => throw new CodecException($"no decoder for {source}"),
        }, lowDelay: !reorders);
        Source = source;
        CameraTop = BrowsersDecode(source) && !reorders;
        for (var i = 0; i < LayerCount; i++) _layers[i] = new Rung(i / RungCount, i % RungCount);
    }

    /// <summary>The camera's codec.</summary>
    public MediaCodec Source { get; }

    /// <summary>True when the camera's own stream is what browsers that take it get at full size (H.264 or VP8 without
    /// reordering): the lower rungs' bitrates then follow the camera's.</summary>
    public bool CameraTop { get; set; }

    /// <summary>True for a camera codec browsers decode over WebRTC (H.264, VP8): its stream can be a viewer's top layer as it is.</summary>
    public static bool BrowsersDecode(MediaCodec codec) => codec is MediaCodec.H264 or MediaCodec.VP8;

    /// <summary>The layer index of <paramref name="rung"/> in <paramref name="codec"/> (H.264 or VP8).</summary>
    public static int Layer(MediaCodec codec, int rung) => (codec == MediaCodec.VP8 ? RungCount : 0) + rung;

    /// <summary>Size of the camera's pictures (0 until the first one is decoded).</summary>
    public int Width { get; private set; }
    public int Height { get; private set; }
    public long FramesDecoded { get; private set; }
    /// <summary>Pictures the decoder gave out of presentation order (must stay 0: encoders need them in order).</summary>
    public long PicturesOutOfOrder { get; private set; }
    public double DecodeMilliseconds => _decodeTicks * 1000.0 / Stopwatch.Frequency;
    /// <summary>Every layer (<see cref="Layer"/> gives the index), running or not.</summary>
    public IReadOnlyList<Rung> Layers => _layers;
    /// <summary>Encoders alive now (0 when every viewer takes the camera's own stream).</summary>
    public int EncodersRunning => _layers.Count(r => r.Encoder is not null);

    /// <summary>The camera's measured bitrate (b/s), which sets the lower rungs' bitrates; 0 when unknown.</summary>
    public long CameraBitrate { get; set; }

    /// <summary>What an encoded layer is aimed at now (b/s): a full-size layer the top bitrate, lower rungs
    /// <see cref="BitrateOf(int, bool, long, LadderOptions)"/>.</summary>
    public long BitrateOf(int layer)
    {
        var rung = layer % RungCount;
        return rung == 0 ? _options.TopBitrate : BitrateOf(rung, CameraTop, CameraBitrate, _options);
    }

    /// <summary>
    /// A rung's bitrate as one viewer sees it: rung 0 is the camera's own rate (for a viewer that takes the camera's
    /// stream) or <see cref="LadderOptions.TopBitrate"/>; each lower rung (a quarter of the pixels of the one above) 2.5
    /// times less, within the MIN/MAX bounds.
    /// </summary>
    public static long BitrateOf(int index, bool passthroughTop, long cameraBitrate, LadderOptions options)
    {
        if (index == 0) return passthroughTop ? cameraBitrate : options.TopBitrate;
        var reference = passthroughTop && cameraBitrate > 0 ? cameraBitrate : options.TopBitrate;
        var rate = (long)(reference / Math.Pow(2.5, index));
        if (options.MaxBitrate > 0) rate = Math.Min(rate, options.MaxBitrate);
        return Math.Max(rate, options.MinBitrate);
    }

    /// <summary>The next output of layer <paramref name="layer"/> is a keyframe (a viewer moves onto it).</summary>
    public void RequestKeyframe(int layer) => _layers[layer].KeyframeWanted = true;

    /// <summary>
    /// A viewer asked for a keyframe (PLI/FIR) on a layer: granted unless that layer made one in the last
    /// <see cref="MinPliInterval"/> (on a congested link a keyframe per PLI would feed the congestion).
    /// </summary>
    public void RequestKeyframeForViewer(int layer)
    {
        var rung = _layers[layer];
        if (rung.LastKeyframeTicks != 0 && Stopwatch.GetElapsedTime(rung.LastKeyframeTicks) < MinPliInterval) return;
        rung.KeyframeWanted = true;
    }

    public static readonly TimeSpan MinPliInterval = TimeSpan.FromMilliseconds(1000);

    /// <summary>
    /// Holds a layer's encoder at or under <paramref name="bitsPerSecond"/> (0: no cap), never under the minimum: the
    /// viewers on the lowest rung may have less room than its nominal rate.
    /// </summary>
    public void SetCap(int layer, long bitsPerSecond) => _layers[layer].Cap = bitsPerSecond;

    /// <summary>True once the decoder has had a keyframe: wanted layers produce pictures from the next frame on.</summary>
    public bool Synced => _synced;

    /// <summary>
    /// Decodes one camera frame and encodes its picture into every layer set in <paramref name="wanted"/> (bit i =
    /// layer i), writing each layer's packetized output to <paramref name="outputs"/>[i] (null when it made none; with
    /// a reordering camera the picture that comes out is an earlier frame's, in presentation order).
    /// </summary>
    public void Process(EncodedFrame frame, int wanted, PacketizedFrame?[] outputs)
    {
        Array.Clear(outputs);
        var now = Stopwatch.GetTimestamp();
        foreach (var layer in _layers)
        {
            if ((wanted & 1 << layer.Index) != 0) layer.LastWanted = now;
            else if (layer.Encoder is not null && Stopwatch.GetElapsedTime(layer.LastWanted, now) > RungLinger) layer.Close();
        }
        if (!_synced && !frame.IsKeyframe) return;
        _synced = true;
        var input = ToDecoderInput(frame);
        var pts = _timestamps.Unwrap(frame.RtpTimestamp);
        var started = Stopwatch.GetTimestamp();
        try
        {
            _decoder.Decode(input, pts, (in Picture p) =>
            {
                FramesDecoded++;
                if (p.Pts <= _lastPts) PicturesOutOfOrder++;
                _lastPts = p.Pts;
                if (wanted != 0) EncodeAll(in p, wanted, outputs);
            });
        }
        finally
        {
            _decodeTicks += Stopwatch.GetTimestamp() - started;
        }
    }

    private void EncodeAll(in Picture picture, int wanted, PacketizedFrame?[] outputs)
    {
        Width = picture.Width & ~1;
        Height = picture.Height & ~1;
        foreach (var layer in _layers)
        {
            if ((wanted & 1 << layer.Index) == 0) continue;
            outputs[layer.Index] = Encode(layer, in picture);
        }
    }

    private PacketizedFrame? Encode(Rung layer, in Picture picture)
    {
        var width = Math.Max(16, (Width >> layer.Rank) & ~1);
        var height = Math.Max(16, (Height >> layer.Rank) & ~1);
        var nominal = BitrateOf(layer.Index);
        var bitrate = (int)(layer.Cap > 0 ? Math.Max(Math.Min(nominal, layer.Cap), _options.MinBitrate) : nominal);
        var vp8 = layer.Codec == MediaCodec.VP8;
        if (layer.Encoder is null || layer.Encoder.Width != width || layer.Encoder.Height != height)
        {
            layer.Close();
            // A quarter second of rate buffer: a layer's keyframe is not a burst its viewers' thin links drop. H.264
            // layers are held to the level announced to their viewers (the camera's full size).
            layer.Encoder = new VideoEncoder(vp8 ? "libvpx" : "libx264", width, height, _options.FramesPerSecond, bitrate, TimeSpan.FromMilliseconds(250),
                level: vp8 ? 0 : AnnouncedLevel(Width, Height, _options.FramesPerSecond));
            layer.Scaler = new Scaler(width, height);
            layer.KeyframeWanted = true;
            layer.Opened++;
        }
        else if (Math.Abs(layer.Encoder.Bitrate - bitrate) > layer.Encoder.Bitrate / 6
                 && Stopwatch.GetElapsedTime(layer.LastBitrateChange) > TimeSpan.FromSeconds(2))
        {
            layer.Encoder.SetBitrate(bitrate);
            layer.LastBitrateChange = Stopwatch.GetTimestamp();
        }
        var pts = picture.Pts;
        var keyframe = layer.KeyframeWanted || pts - layer.LastKeyframePts >= (long)(KeyframeInterval.TotalSeconds * 90_000);
        layer.KeyframeWanted = false;
        PacketizedFrame? output = null;
        var started = Stopwatch.GetTimestamp();
        var encoder = layer.Encoder;
        layer.Scaler!.Scale(in picture, (in Picture scaled) =>
            encoder.Encode(in scaled, pts, keyframe, (packet, key, outPts) =>
            {
                output = vp8
                    ? Vp8Packetizer.Packetize(packet, (uint)outPts, key)
                    : H264Packetizer.Packetize(ToLengthPrefixed(packet), (uint)outPts, key);
                if (key)
                {
                    layer.LastKeyframePts = outPts;
                    layer.LastKeyframeTicks = Stopwatch.GetTimestamp();
                    layer.Keyframes++;
                }
                layer.FramesOut++;
                layer.BytesOut += packet.Length;
                layer.Rate.Add(packet.Length, Stopwatch.GetTimestamp());
            }));
        layer.EncodeTicks += Stopwatch.GetTimestamp() - started;
        layer.FramesEncoded++;
        return output;
    }

    /// <summary>
    /// The H.264 level re-encoded layers announce and are held to: the lowest that takes the camera's full picture at
    /// the layers' frame rate (H.264 Table A-1), never under 3.1.
    /// </summary>
    public static int AnnouncedLevel(int width, int height, double framesPerSecond) => Sightline.Rtp.Codecs.H264.H264Profile.LevelFor(width, height, framesPerSecond);

    // H.264/H.265 arrive as 4-byte length-prefixed NAL units; FFmpeg's decoders take Annex B (same size: 4-byte start
    // codes). Both conversions go through buffers kept across frames.
    private ReadOnlySpan<byte> ToDecoderInput(EncodedFrame frame)
    {
        if (frame.Codec is not (MediaCodec.H264 or MediaCodec.H265)) return frame.Data;
        if (_annexB.Length < frame.Data.Length) _annexB = new byte[frame.Data.Length * 2];
        return _annexB.AsSpan(0, Sightline.Rtp.Codecs.NalUnits.ToAnnexB(frame.Data, _annexB));
    }

    private ReadOnlySpan<byte> ToLengthPrefixed(ReadOnlySpan<byte> annexB)
    {
        var needed = annexB.Length + annexB.Length / 4 + 4;
        if (_prefixed.Length < needed) _prefixed = new byte[needed * 2];
        return _prefixed.AsSpan(0, Sightline.Rtp.Codecs.NalUnits.ToLengthPrefixed(annexB, _prefixed));
    }

    public void Dispose()
    {
        _decoder.Dispose();
        foreach (var layer in _layers) layer.Close();
    }

    /// <summary>One layer: a rung in one codec, its encoder and scaler while wanted, and its counters.</summary>
    public sealed class Rung(int codecIndex, int rank)
    {
        /// <summary>Index among all layers (<see cref="Layer"/>).</summary>
        public int Index { get; } = codecIndex * RungCount + rank;
        /// <summary>The rung: 0 full size, 1 half, 2 a quarter.</summary>
        public int Rank { get; } = rank;
        public MediaCodec Codec { get; } = OutputCodecs[codecIndex];
        internal VideoEncoder? Encoder;
        internal Scaler? Scaler;
        internal bool KeyframeWanted;
        internal long LastWanted;
        internal long LastKeyframePts = long.MinValue / 2;
        internal long LastKeyframeTicks;
        internal long Cap;
        public long Keyframes { get; internal set; }
        internal long LastBitrateChange;
        internal long EncodeTicks;
        internal Adaptation.RateMeter Rate;
        /// <summary>What the encoder made over the last second (b/s).</summary>
        public long Bitrate => Rate.BitsPerSecond;
        public long FramesEncoded { get; internal set; }
        public long FramesOut { get; internal set; }
        public long BytesOut { get; internal set; }
        /// <summary>How many times an encoder was made for this layer.</summary>
        public int Opened { get; internal set; }
        public bool Running => Encoder is not null;
        public int Width => Encoder?.Width ?? 0;
        public int Height => Encoder?.Height ?? 0;
        public int TargetBitrate => Encoder?.Bitrate ?? 0;
        public double EncodeMilliseconds => EncodeTicks * 1000.0 / Stopwatch.Frequency;

        internal void Close()
        {
            Encoder?.Dispose();
            Scaler?.Dispose();
            Encoder = null;
            Scaler = null;
        }
    }
}
