namespace Sightline.Media.Ingest;

/// <summary>
/// The clock of a file or HTTP stream read through libavformat: maps the container's timestamps (microseconds of source
/// time) onto one media time that only moves forward — across loops of a file and across timestamp jumps of a live
/// stream — and says when each packet is due on the wall clock, so a file plays at its own pace.
/// </summary>
/// <remarks>
/// Media time = source time − the segment's source start + the segment's offset. A segment starts with the input, at
/// each loop (the file played again from its first timestamp) and at each jump in decode time of more than
/// <see cref="ForwardJumpUs"/> ahead or <see cref="BackwardJumpUs"/> back (a live MPEG-TS whose encoder restarted, a
/// stream served in a loop); it begins where the previous one ended (the
/// furthest presentation time plus its duration), so every track's timestamps keep increasing. Pacing follows decode
/// order (the order packets come in); when the source falls more than <see cref="MaxLateUs"/> behind (a network stall)
/// the pace is re-anchored rather than bursting to catch up, as a live camera would resume.
/// </remarks>
public sealed class MediaTimeline(long startSourceUs)
{
    /// <summary>Decode time jumping ahead by more than this (10 s) starts a new segment; a shorter gap is waited out.</summary>
    public const long ForwardJumpUs = 10_000_000;
    /// <summary>Decode time going back by more than this (1 s, beyond how far muxers interleave streams) starts a new segment.</summary>
    public const long BackwardJumpUs = 1_000_000;
    /// <summary>Behind the pace by more than this (1 s), the pace starts again from now.</summary>
    public const long MaxLateUs = 1_000_000;
    // A loop whose packets carried no durations starts this far after the last one (one frame at 25 fps).
    private const long UnknownDurationGapUs = 40_000;

    private long _segmentSourceUs = startSourceUs;
    private long _offsetUs;
    private long _endUs;
    private bool _durationsKnown;
    private long _lastSourceUs = long.MinValue;
    private bool _anchored;
    private long _anchorWallUs;
    private long _anchorMediaUs;

    /// <summary>Segments started after the first (loops and jumps).</summary>
    public int Segments { get; private set; }

    /// <summary>The media time (microseconds) of a source time, in the current segment.</summary>
    public long MediaUs(long sourceUs) => sourceUs - _segmentSourceUs + _offsetUs;

    /// <summary>
    /// Places one packet: its decode time (dts, else pts) and presentation time (pts, else dts) in source microseconds.
    /// Returns its media presentation time; <paramref name="decodeMediaUs"/> is what pacing waits for.
    /// </summary>
    public long Place(long decodeSourceUs, long presentationSourceUs, long? durationUs, out long decodeMediaUs)
    {
        if (_lastSourceUs != long.MinValue && (decodeSourceUs - _lastSourceUs > ForwardJumpUs || _lastSourceUs - decodeSourceUs > BackwardJumpUs))
        {
            StartSegment(decodeSourceUs);
        }
        _lastSourceUs = decodeSourceUs;
        decodeMediaUs = MediaUs(decodeSourceUs);
        var presentation = MediaUs(presentationSourceUs);
        if (durationUs is > 0) _durationsKnown = true;
        _endUs = Math.Max(_endUs, presentation + (durationUs ?? 0));
        return presentation;
    }

    /// <summary>The file plays again from <paramref name="startSourceUs"/>: media time goes on from where the loop ended.</summary>
    public void Restart(long startSourceUs) => StartSegment(startSourceUs);

    /// <summary>
    /// How long to wait (microseconds, 0 = now) before releasing a packet whose decode media time is
    /// <paramref name="decodeMediaUs"/>, at wall time <paramref name="nowUs"/>.
    /// </summary>
    public long Delay(long decodeMediaUs, long nowUs)
    {
        if (!_anchored)
        {
            Anchor(decodeMediaUs, nowUs);
            return 0;
        }
        var due = _anchorWallUs + (decodeMediaUs - _anchorMediaUs);
        if (nowUs - due > MaxLateUs)
        {
            Anchor(decodeMediaUs, nowUs);
            return 0;
        }
        return Math.Max(0, due - nowUs);
    }

    private void Anchor(long mediaUs, long nowUs)
    {
        _anchored = true;
        _anchorWallUs = nowUs;
        _anchorMediaUs = mediaUs;
    }

    private void StartSegment(long sourceUs)
    {
        // The pacing anchor stays: media time is continuous, so the new segment is due right after the old one.
        _offsetUs = _endUs + (_durationsKnown ? 0 : UnknownDurationGapUs);
        _endUs = _offsetUs;
        _segmentSourceUs = sourceUs;
        _lastSourceUs = long.MinValue;
        Segments++;
    }
}
