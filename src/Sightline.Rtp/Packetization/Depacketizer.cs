using Sightline.Rtp.Rtp;
using Sightline.Rtp.Sdp;

namespace Sightline.Rtp.Packetization;

/// <summary>Why a depacketizer dropped input. Counted, never thrown.</summary>
public enum DropReason { MalformedPayload, UnsupportedPacketization, FragmentWithoutStart, FrameTooLarge, IncompleteFrame }

/// <summary>
/// Turns the RTP packets of one track, in order, into complete frames. Malformed packets are dropped and counted; a
/// <see cref="Discontinuity"/> (packets lost) drops the frame being assembled.
/// </summary>
public abstract class Depacketizer
{
    /// <summary>No camera frame comes near this; a stream that tries is cut off (bounded memory).</summary>
    public const int MaxFrameSize = 8 * 1024 * 1024;

    private readonly long[] _drops = new long[Enum.GetValues<DropReason>().Length];

    protected Depacketizer(int clockRate) => ClockRate = clockRate;

    public abstract MediaCodec Codec { get; }
    public int ClockRate { get; }
    public CodecParameters Parameters { get; protected set; } = new();

    /// <summary>Raised for every complete frame, on the caller's thread.</summary>
    public event Action<EncodedFrame>? FrameReady;

    public long FramesEmitted { get; private set; }
    public long Dropped(DropReason reason) => _drops[(int)reason];
    public long TotalDropped => _drops.Sum();

    /// <summary>Feeds one packet (<paramref name="payload"/> is its payload, padding removed).</summary>
    public abstract void Push(in RtpPacket packet, ReadOnlySpan<byte> payload);

    /// <summary>Packets were lost before the next one: whatever was being assembled is incomplete and is dropped.</summary>
    public virtual void Discontinuity() => Reset();

    protected abstract void Reset();

    protected void Emit(byte[] data, uint timestamp, bool keyframe)
    {
        FramesEmitted++;
        FrameReady?.Invoke(new EncodedFrame { Codec = Codec, Data = data, RtpTimestamp = timestamp, IsKeyframe = keyframe });
    }

    protected void Drop(DropReason reason) => _drops[(int)reason]++;

    /// <summary>The depacketizer for an SDP payload type, or null when the codec is not supported (with its name).</summary>
    public static Depacketizer? Create(RtpMap map, IReadOnlyDictionary<string, string> fmtp, out string codecName)
    {
        codecName = map.Encoding.ToUpperInvariant();
        return codecName switch
        {
            "H264" => new H264Depacketizer(fmtp),
            "H265" or "HEVC" => new H265Depacketizer(fmtp),
            "VP8" => new Vp8Depacketizer(),
            "JPEG" => new MjpegDepacketizer(),
            "MPEG4-GENERIC" when fmtp.TryGetValue("mode", out var mode) && mode.StartsWith("AAC", StringComparison.OrdinalIgnoreCase)
                => new AacDepacketizer(map, fmtp),
            "MP4A-LATM" => LatmDepacketizer.Create(map, fmtp),
            "PCMU" => new SimpleAudioDepacketizer(MediaCodec.PCMU, map),
            "PCMA" => new SimpleAudioDepacketizer(MediaCodec.PCMA, map),
            "OPUS" => new SimpleAudioDepacketizer(MediaCodec.Opus, map),
            _ => null,
        };
    }
}

/// <summary>Codecs whose RTP payload is one whole frame: G.711 (RFC 3551), Opus (RFC 7587).</summary>
public sealed class SimpleAudioDepacketizer : Depacketizer
{
    private readonly MediaCodec _codec;

    public SimpleAudioDepacketizer(MediaCodec codec, RtpMap map) : base(map.ClockRate)
    {
        _codec = codec;
        Parameters = new CodecParameters { SampleRate = codec == MediaCodec.Opus ? 48000 : map.ClockRate, Channels = map.Channels };
    }

    public override MediaCodec Codec => _codec;

    public override void Push(in RtpPacket packet, ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            Drop(DropReason.MalformedPayload);
            return;
        }
        Emit(payload.ToArray(), packet.Timestamp, keyframe: true);
    }

    protected override void Reset()
    {
    }
}
