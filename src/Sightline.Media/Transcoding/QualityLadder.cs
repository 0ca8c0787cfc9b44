using System.Diagnostics;
using Sightline.Codecs;
using Sightline.Rtp.Packetization;

namespace Sightline.Media.Transcoding;

/// <summary>Bitrate bounds of re-encoded rungs, in bits per second (OpenVidu's MIN/MAX_SEND_BANDWIDTH); 0 = unbounded.</summary>
public sealed record LadderOptions(int MinBitrate = 300_000, int MaxBitrate = 1_000_000, int TopBitrate = 1_000_000, int FramesPerSecond = 25);

/// <summary>
/// A camera's quality ladder: the camera decoded once, and each rung that some viewer needs scaled and encoded once for
/// all the viewers on it. Rung 0 is full size — the camera's own stream untouched when browsers can decode it
/// (<see cref="PassthroughTop"/>), else re-encoded; rung 1 is half size, rung 2 a quarter. A rung costs nothing while no
/// viewer is on it: its encoder is made when it is first wanted and freed a little after it was last wanted.
/// Runs on the camera's thread.
/// </summary>
public sealed class QualityLadder : IDisposable
{
    public const int RungCount = 3;
    /// <summary>Re-encoded rungs put in a keyframe this often (and whenever a viewer asks).</summary>
    public static readonly TimeSpan KeyframeInterval = TimeSpan.FromSeconds(3);
    /// <summary>An unwanted rung keeps its encoder this long, so a viewer going back and forth does not recreate it.</summary>
    public static readonly TimeSpan RungLinger = TimeSpan.FromSeconds(2);

    private readonly VideoDecoder _decoder;
    private readonly LadderOptions _options;
    private readonly Rung[] _rungs = new Rung[RungCount];
    private readonly string _encoderName;
    private byte[] _annexB = new byte[64 * 1024];
    private byte[] _prefixed = new byte[64 * 1024];
    private Sightline.Rtp.Time.TimestampUnwrapper _timestamps;
    private bool _synced;
    private long _decodeTicks;

    /// <param name="source">The camera's video codec.</param>
    /// <param name="passthroughTop">True when rung 0 is the camera's stream itself (H.264, VP8); false re-encodes it (H.265, MJPEG).</param>
    public QualityLadder(MediaCodec source, bool passthroughTop, LadderOptions options)
    {
        _options = options;
        PassthroughTop = passthroughTop;
        _decoder = new VideoDecoder(source switch
        {
            MediaCodec.H264 => "h264",
            MediaCodec.H265 => "hevc",
            MediaCodec.MJPEG => "mjpeg",
            MediaCodec.VP8 => "vp8",
            _ => throw new CodecException($"no decoder for {source}"),
        });
        OutputCodec = source == MediaCodec.VP8 ? MediaCodec.VP8 : MediaCodec.H264;
        _encoderName = OutputCodec == MediaCodec.VP8 ? "libvpx" : "libx264";
        for (var i = 0; i < RungCount; i++) _rungs[i] = new Rung(i);
    }

    public bool PassthroughTop { get; }

    /// <summary>True for a camera codec browsers decode over WebRTC (H.264, VP8): its stream is rung 0 as it is.</summary>
    public static bool BrowsersDecode(MediaCodec codec) => codec is MediaCodec.H264 or MediaCodec.VP8;
    /// <summary>The codec of re-encoded rungs: VP8 for a VP8 camera, else H.264.</summary>
    public MediaCodec OutputCodec { get; }
    /// <summary>Size of the camera's pictures (0 until the first one is decoded).</summary>
    public int Width { get; private set; }
    public int Height { get; private set; }
    public long FramesDecoded { get; private set; }
    public double DecodeMilliseconds => _decodeTicks * 1000.0 / Stopwatch.Frequency;
    public IReadOnlyList<Rung> Rungs => _rungs;
    /// <summary>Encoders alive now (0 when every viewer takes the camera's own stream).</summary>
    public int EncodersRunning => _rungs.Count(r => r.Encoder is not null);

    /// <summary>The camera's measured bitrate (b/s), which sets the lower rungs' bitrates; 0 when unknown.</summary>
    public long CameraBitrate { get; set; }

    /// <summary>What rung <paramref name="index"/> costs a viewer's link now (b/s): the camera's own rate for a passthrough top.</summary>
    public long BitrateOf(int index) => BitrateOf(index, PassthroughTop, CameraBitrate, _options);

    /// <summary>
    /// A rung's bitrate: rung 0 is the camera's own rate (passthrough) or <see cref="LadderOptions.TopBitrate"/>; each
    /// lower rung (a quarter of the pixels of the one above) 2.5 times less, within the MIN/MAX bounds.
    /// </summary>
    public static long BitrateOf(int index, bool passthroughTop, long cameraBitrate, LadderOptions options)
    {
        if (index == 0) return passthroughTop ? cameraBitrate : options.TopBitrate;
        var reference = passthroughTop && cameraBitrate > 0 ? cameraBitrate : options.TopBitrate;
        var rate = (long)(reference / Math.Pow(2.5, index));
        if (options.MaxBitrate > 0) rate = Math.Min(rate, options.MaxBitrate);
        return Math.Max(rate, options.MinBitrate);
    }

    /// <summary>The next output of rung <paramref name="index"/> is a keyframe (a viewer moves onto it).</summary>
    public void RequestKeyframe(int index) => _rungs[index].KeyframeWanted = true;

    /// <summary>
    /// A viewer asked for a keyframe (PLI/FIR) on rung <paramref name="index"/>: granted unless that rung made one in the
    /// last <see cref="MinPliInterval"/> (on a congested link a keyframe per PLI would feed the congestion).
    /// </summary>
    public void RequestKeyframeForViewer(int index)
    {
        var rung = _rungs[index];
        if (rung.LastKeyframeTicks != 0 && Stopwatch.GetElapsedTime(rung.LastKeyframeTicks) < MinPliInterval) return;
        rung.KeyframeWanted = true;
    }

    public static readonly TimeSpan MinPliInterval = TimeSpan.FromMilliseconds(1000);

    /// <summary>
    /// Holds rung <paramref name="index"/>'s encoder at or under <paramref name="bitsPerSecond"/> (0: no cap), never under
    /// the minimum: the viewers on the lowest rung may have less room than its nominal rate.
    /// </summary>
    public void SetCap(int index, long bitsPerSecond) => _rungs[index].Cap = bitsPerSecond;

    /// <summary>True once the decoder has had a keyframe: wanted rungs produce pictures from the next frame on.</summary>
    public bool Synced => _synced;

    /// <summary>
    /// Decodes one camera frame and encodes it into every rung set in <paramref name="wanted"/> (bit i = rung i), writing
    /// each rung's packetized output to <paramref name="outputs"/>[i] (null when it made none).
    /// </summary>
    public void Process(EncodedFrame frame, int wanted, PacketizedFrame?[] outputs)
    {
        Array.Clear(outputs);
        var now = Stopwatch.GetTimestamp();
        foreach (var rung in _rungs)
        {
            if ((wanted & 1 << rung.Index) != 0) rung.LastWanted = now;
            else if (rung.Encoder is not null && Stopwatch.GetElapsedTime(rung.LastWanted, now) > RungLinger) rung.Close();
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
        foreach (var rung in _rungs)
        {
            if ((wanted & 1 << rung.Index) == 0) continue;
            if (rung.Index == 0 && PassthroughTop) continue;
            outputs[rung.Index] = Encode(rung, in picture);
        }
    }

    private PacketizedFrame? Encode(Rung rung, in Picture picture)
    {
        var width = Math.Max(16, (Width >> rung.Index) & ~1);
        var height = Math.Max(16, (Height >> rung.Index) & ~1);
        var nominal = BitrateOf(rung.Index);
        var bitrate = (int)(rung.Cap > 0 ? Math.Max(Math.Min(nominal, rung.Cap), _options.MinBitrate) : nominal);
        if (rung.Encoder is null || rung.Encoder.Width != width || rung.Encoder.Height != height)
        {
            rung.Close();
            // A quarter second of rate buffer: a rung's keyframe is not a burst its viewers' thin links drop.
            rung.Encoder = new VideoEncoder(_encoderName, width, height, _options.FramesPerSecond, bitrate, TimeSpan.FromMilliseconds(250));
            rung.Scaler = new Scaler(width, height);
            rung.KeyframeWanted = true;
            rung.Opened++;
        }
        else if (Math.Abs(rung.Encoder.Bitrate - bitrate) > rung.Encoder.Bitrate / 6
                 && Stopwatch.GetElapsedTime(rung.LastBitrateChange) > TimeSpan.FromSeconds(2))
        {
            rung.Encoder.SetBitrate(bitrate);
            rung.LastBitrateChange = Stopwatch.GetTimestamp();
        }
        var pts = picture.Pts;
        var keyframe = rung.KeyframeWanted || pts - rung.LastKeyframePts >= (long)(KeyframeInterval.TotalSeconds * 90_000);
        rung.KeyframeWanted = false;
        PacketizedFrame? output = null;
        var started = Stopwatch.GetTimestamp();
        var encoder = rung.Encoder;
        rung.Scaler!.Scale(in picture, (in Picture scaled) =>
            encoder.Encode(in scaled, pts, keyframe, (packet, key, outPts) =>
            {
                output = OutputCodec == MediaCodec.VP8
                    ? Vp8Packetizer.Packetize(packet, (uint)outPts, key)
                    : H264Packetizer.Packetize(ToLengthPrefixed(packet), (uint)outPts, key);
                if (key)
                {
                    rung.LastKeyframePts = outPts;
                    rung.LastKeyframeTicks = Stopwatch.GetTimestamp();
                    rung.Keyframes++;
                }
                rung.FramesOut++;
                rung.BytesOut += packet.Length;
                rung.Rate.Add(packet.Length, System.Diagnostics.Stopwatch.GetTimestamp());
            }));
        rung.EncodeTicks += Stopwatch.GetTimestamp() - started;
        rung.FramesEncoded++;
        return output;
    }

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
        foreach (var rung in _rungs) rung.Close();
    }

    /// <summary>One rung: its encoder and scaler while wanted, and its counters.</summary>
    public sealed class Rung(int index)
    {
        public int Index { get; } = index;
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
        /// <summary>How many times an encoder was made for this rung.</summary>
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
