using Sightline.Rtp.Packetization;

namespace Sightline.Rtp.Framing;

/// <summary>One frame cut from a container packet, and where it starts after the packet's timestamp (in clock units).</summary>
public readonly record struct FramedUnit(byte[] Data, bool Keyframe, int Offset);

/// <summary>
/// Turns the packets of one container stream (MP4/MKV samples, MPEG-TS PES payloads, FLV tags, as libavformat hands them
/// out) into frames shaped exactly as the RTP depacketizers make them (see <see cref="EncodedFrame"/>), so everything
/// downstream of a camera sees one form whatever carried it. Bad input is dropped and counted, never thrown.
/// </summary>
public abstract class ContainerFramer
{
    private readonly long[] _drops = new long[Enum.GetValues<DropReason>().Length];

    public abstract MediaCodec Codec { get; }
    /// <summary>Units per second of the frames' timestamps: 90000 for video, the sample rate for audio.</summary>
    public abstract int ClockRate { get; }
    public CodecParameters Parameters { get; protected set; } = new();

    public long Dropped(DropReason reason) => _drops[(int)reason];
    public long TotalDropped => _drops.Sum();

    /// <summary>Frames one packet into <paramref name="output"/>; false (and counted) when nothing usable was in it.</summary>
    public abstract bool TryFrame(ReadOnlySpan<byte> packet, List<FramedUnit> output);

    /// <summary>Audio samples (at <see cref="ClockRate"/>) in one frame this framer made; 0 when unknown or video.</summary>
    /// <remarks>Containers with coarse time bases (Matroska: 1 ms) round audio timestamps; the sample count keeps them exact.</remarks>
    public virtual int Samples(ReadOnlySpan<byte> frame) => 0;

    protected bool Drop(DropReason reason)
    {
        _drops[(int)reason]++;
        return false;
    }

    /// <summary>The framer for a codec, from the stream's configuration (extradata) and what the container says of it.</summary>
    public static ContainerFramer Create(MediaCodec codec, ReadOnlySpan<byte> extradata, CodecParameters described) => codec switch
    {
        MediaCodec.H264 or MediaCodec.H265 => new NalFramer(codec, extradata, described),
        MediaCodec.AAC => new AacFramer(extradata, described),
        _ => new WholeFrameFramer(codec, described),
    };
}

/// <summary>Codecs whose container packet is one whole frame: VP8, JPEG, Opus, G.711.</summary>
public sealed class WholeFrameFramer : ContainerFramer
{
    public WholeFrameFramer(MediaCodec codec, CodecParameters described)
    {
        Codec = codec;
        ClockRate = codec switch
        {
            MediaCodec.VP8 or MediaCodec.MJPEG => 90000,
            MediaCodec.Opus => 48000, // RFC 7587 §4.1: always 48 kHz on the wire
            _ => described.SampleRate is > 0 and var rate ? rate : 8000,
        };
        Parameters = codec is MediaCodec.Opus ? described with { SampleRate = 48000 } : described;
    }

    public override MediaCodec Codec { get; }
    public override int ClockRate { get; }

    public override bool TryFrame(ReadOnlySpan<byte> packet, List<FramedUnit> output)
    {
        if (packet.IsEmpty) return Drop(DropReason.MalformedPayload);
        if (packet.Length > Depacketizer.MaxFrameSize) return Drop(DropReason.FrameTooLarge);
        // VP8: the P bit of the frame tag is 0 on a key frame (RFC 6386 §9.1); every JPEG and audio frame stands alone.
        var keyframe = Codec != MediaCodec.VP8 || (packet[0] & 1) == 0;
        if (Codec == MediaCodec.VP8 && keyframe && packet.Length >= 10 && packet[3] == 0x9d && packet[4] == 0x01 && packet[5] == 0x2a)
        {
            Parameters = Parameters with { Width = (packet[6] | packet[7] << 8) & 0x3fff, Height = (packet[8] | packet[9] << 8) & 0x3fff };
        }
        output.Add(new FramedUnit(packet.ToArray(), keyframe, 0));
        return true;
    }

    public override int Samples(ReadOnlySpan<byte> frame) => Codec switch
    {
        MediaCodec.Opus => OpusSamples(frame),
        MediaCodec.PCMU or MediaCodec.PCMA => frame.Length / Math.Max(1, Parameters.Channels ?? 1), // one byte per sample (G.711)
        _ => 0,
    };

    // RFC 6716 §3.1: the TOC byte's configuration gives the frame duration, its code the number of frames.
    private static int OpusSamples(ReadOnlySpan<byte> packet)
    {
        if (packet.IsEmpty) return 0;
        var config = packet[0] >> 3;
        var tenthsOfMs = config switch
        {
            < 12 => (config & 3) switch { 0 => 100, 1 => 200, 2 => 400, _ => 600 }, // SILK: 10, 20, 40, 60 ms
            < 16 => (config & 1) == 0 ? 100 : 200,                              // Hybrid: 10, 20 ms
            _ => (config & 3) switch { 0 => 25, 1 => 50, 2 => 100, _ => 200 },   // CELT: 2.5, 5, 10, 20 ms
        };
        var frames = (packet[0] & 3) switch
        {
            0 => 1,
            1 or 2 => 2,
            _ => packet.Length > 1 ? packet[1] & 0x3f : 0,
        };
        return frames * tenthsOfMs * 48 / 10;
    }
}
