namespace Sightline.Rtp.Packetization;

/// <summary>
/// One media track of a camera, whatever carries it (RTSP/RTP, or a file or HTTP stream read through libavformat): what
/// the fan-out, the transcoders and the recorders need to know about the frames it produces.
/// </summary>
public interface ICameraTrack
{
    /// <summary>The track's position in its session (0, 1, …).</summary>
    int Index { get; }
    MediaCodec Codec { get; }
    /// <summary>Units per second of the frames' <see cref="EncodedFrame.RtpTimestamp"/>: 90000 for video, the sample rate for audio.</summary>
    int ClockRate { get; }
    bool IsVideo { get; }
    /// <summary>What is known of the codec now (it may grow as parameter sets arrive in-band).</summary>
    CodecParameters Parameters { get; }
}
