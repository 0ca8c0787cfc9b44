namespace Sightline.Recording.Individual;

/// <summary>
/// Decode times for video frames known only by their presentation times, in decode order (RTP timestamps are
/// presentation times, RFC 6184 §5.1). With a reorder depth d, frame n decodes at the (n−d)-th smallest presentation
/// time: at most d frames decoded before a frame are shown after it, so that time is never later than its own, and the
/// times rise strictly. The first d frames of a run are spaced one frame apart before the run's first picture, which
/// the caller places at least d frames into the file. A frame that shows a deeper reordering than announced raises the
/// depth as it goes (that frame and the next few get the smallest decode times that still rise; their presentation
/// times stay exact). No allocation per frame.
/// </summary>
public sealed class DecodeTimeline
{
    /// <summary>H.264 §A.3.1 / H.265 §A.4.2: no decoder holds more than 16 frames.</summary>
    public const int MaxDepth = 16;

    private readonly long[] _pending = new long[MaxDepth + 1]; // presentation times not yet used as decode times, sorted
    private readonly long[] _recent = new long[MaxDepth];     // the last presentation times, to measure the depth
    private readonly long _frameTicks;
    private int _pendingCount, _recentCount, _recentNext;
    private long _runStart;
    private int _runFrames;
    private long _lastDecode = long.MinValue;

    /// <param name="depth">The reorder depth the stream announces (0 when none or unknown).</param>
    /// <param name="frameTicks">One frame's duration in the track's timescale, to space a run's first frames.</param>
    public DecodeTimeline(int depth, long frameTicks)
    {
        Depth = Math.Clamp(depth, 0, MaxDepth);
        _frameTicks = Math.Max(1, frameTicks);
    }

    /// <summary>The reorder depth in use: the announced one, or deeper when the frames showed more.</summary>
    public int Depth { get; private set; }

    /// <summary>How far into the file a run's first picture must be for its first decode time to be ≥ 0.</summary>
    public long Lead => Depth * _frameTicks;

    /// <summary>The decode time of the next frame in decode order, given its presentation time.</summary>
    public long Next(long presentation)
    {
        var later = 0;
        for (var i = 0; i < _recentCount; i++)
        {
            if (_recent[i] > presentation) later++;
        }
        if (later > Depth) Depth = later;
        _recent[_recentNext] = presentation;
        _recentNext = (_recentNext + 1) % MaxDepth;
        if (_recentCount < MaxDepth) _recentCount++;

        if (_runFrames == 0) _runStart = presentation;
        Insert(presentation);
        long candidate;
        if (_pendingCount > Depth) candidate = PopSmallest();
        else if (_runFrames < Depth) candidate = _runStart - (Depth - _runFrames) * _frameTicks;
        else candidate = _lastDecode + 1; // the depth just grew: wait for the window to fill again
        _runFrames++;
        var decode = _lastDecode == long.MinValue ? candidate : Math.Max(candidate, _lastDecode + 1);
        _lastDecode = decode;
        return decode;
    }

    /// <summary>A new run (the camera reconnected, new RTP clocks): forget the pending times, keep rising.</summary>
    public void Restart()
    {
        _pendingCount = 0;
        _recentCount = _recentNext = 0;
        _runFrames = 0;
    }

    private void Insert(long value)
    {
        if (_pendingCount == _pending.Length)
        {
            // Only when Depth is at its cap and the stream still reorders deeper: the oldest time goes unused.
            PopSmallest();
        }
        var i = _pendingCount++;
        while (i > 0 && _pending[i - 1] > value)
        {
            _pending[i] = _pending[i - 1];
            i--;
        }
        _pending[i] = value;
    }

    private long PopSmallest()
    {
        var smallest = _pending[0];
        _pendingCount--;
        Array.Copy(_pending, 1, _pending, 0, _pendingCount);
        return smallest;
    }
}
