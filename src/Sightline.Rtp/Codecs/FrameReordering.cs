namespace Sightline.Rtp.Codecs;

/// <summary>
/// Whether a video stream sends frames in an order other than the one they are shown in (B-frames), and how deep: the
/// most frames that can precede a frame in decode order and follow it in output order (H.264 §E.2.1
/// <c>max_num_reorder_frames</c>, H.265 §7.4.3.2.1 <c>sps_max_num_reorder_pics</c>). WebRTC receivers assume none.
/// </summary>
/// <param name="Reorders">Frames come out of decode order.</param>
/// <param name="Depth">How many frames a decoder must hold back; 0 when <paramref name="Reorders"/> is false.</param>
/// <param name="Reason">Why, in one line: <c>"SPS VUI max_num_reorder_frames=2"</c>, <c>"B slices"</c>, ….</param>
/// <param name="Certain">The stream says so itself (parameter set), or reordering was seen; false while the answer
/// rests only on frames that happened not to reorder so far.</param>
public readonly record struct FrameReordering(bool Reorders, int Depth, string Reason, bool Certain)
{
    /// <summary>Before any parameter set: nothing is known.</summary>
    public static FrameReordering Unknown { get; } = new(false, 0, "no sequence parameter set seen yet", false);
}
