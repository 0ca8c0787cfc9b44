using Sightline.Rtp.Codecs;

namespace Sightline.Rtp.Packetization;

/// <summary>The codecs Sightline takes from cameras.</summary>
public enum MediaCodec { H264, H265, VP8, MJPEG, AAC, PCMU, PCMA, Opus }

/// <summary>What is known of a track's codec: picture size and profile for video, rate and channels for audio.</summary>
public sealed record CodecParameters
{
    public int? Width { get; init; }
    public int? Height { get; init; }
    public string? Profile { get; init; }
    /// <summary>H.264 <c>profile-level-id</c> (hex) when known.</summary>
    public string? ProfileLevelId { get; init; }
    public double? FrameRate { get; init; }
    public int? SampleRate { get; init; }
    public int? Channels { get; init; }
    /// <summary>Codec configuration: AudioSpecificConfig for AAC.</summary>
    public byte[]? Config { get; init; }
    /// <summary>Whether the H.264/H.265 stream reorders frames (B-frames), from its SPS or slices; null while no SPS was
    /// read, and for other codecs.</summary>
    public FrameReordering? Reordering { get; init; }
    /// <summary>Frames a decoder holds back (0: none); null when <see cref="Reordering"/> is.</summary>
    public int? ReorderDepth => Reordering?.Depth;
    /// <summary>Why <see cref="ReorderDepth"/> is what it is, in one line.</summary>
    public string? ReorderReason => Reordering?.Reason;
}

/// <summary>
/// One complete frame (access unit) of a track. H.264/H.265 data is a sequence of NAL units each prefixed by its 4-byte
/// big-endian length; JPEG is a whole JFIF image; VP8, AAC, G.711 and Opus are the codec's own frame bytes.
/// </summary>
public sealed class EncodedFrame
{
    public required MediaCodec Codec { get; init; }
    public required byte[] Data { get; init; }
    public required uint RtpTimestamp { get; init; }
    public bool IsKeyframe { get; init; }
}
