using Sightline.Codecs;
using Sightline.Rtp.Framing;
using Sightline.Rtp.Packetization;

namespace Sightline.Media.Ingest;

/// <summary>One stream of a file or HTTP camera read through libavformat, framed as the RTP path frames it.</summary>
public sealed class InputTrack : ICameraTrack
{
    internal InputTrack(int index, MediaStreamInfo stream, ContainerFramer framer)
    {
        Index = index;
        Stream = stream;
        Framer = framer;
    }

    public int Index { get; }
    /// <summary>What libavformat says of the stream (codec name, time base, size, rate, extradata).</summary>
    public MediaStreamInfo Stream { get; }
    public ContainerFramer Framer { get; }
    public MediaCodec Codec => Framer.Codec;
    public int ClockRate => Framer.ClockRate;
    public bool IsVideo => Codec is MediaCodec.H264 or MediaCodec.H265 or MediaCodec.VP8 or MediaCodec.MJPEG;
    public CodecParameters Parameters => Framer.Parameters;

    public long PacketsRead { get; internal set; }
    public long FramesReceived { get; internal set; }
    public long KeyframesReceived { get; internal set; }
    public long BytesReceived { get; internal set; }
    /// <summary>Frames dropped before the first keyframe (of the stream or of a loop): no decoder can start on them.</summary>
    public long SkippedBeforeKeyframe { get; internal set; }
    internal bool AwaitingKeyframe { get; set; } = true;
    /// <summary>Where the next audio frame starts (clock units), from the last one's samples; null when unknown.</summary>
    internal long? NextAudioTimestamp { get; set; }

    /// <summary>The codecs Sightline takes, by FFmpeg's codec name; null for the others.</summary>
    public static MediaCodec? CodecOf(string ffmpegName) => ffmpegName switch
    {
        "h264" => MediaCodec.H264,
        "hevc" => MediaCodec.H265,
        "vp8" => MediaCodec.VP8,
        "mjpeg" => MediaCodec.MJPEG,
        "aac" => MediaCodec.AAC,
        "opus" => MediaCodec.Opus,
        "pcm_mulaw" => MediaCodec.PCMU,
        "pcm_alaw" => MediaCodec.PCMA,
        _ => null,
    };
}
