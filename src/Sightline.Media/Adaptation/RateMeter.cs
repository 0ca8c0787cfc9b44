using System.Diagnostics;

namespace Sightline.Media.Adaptation;

/// <summary>A bitrate over windows of about a second (bytes added with their <see cref="Stopwatch"/> time).</summary>
public struct RateMeter
{
    private long _windowStart;
    private long _windowBytes;

    /// <summary>The rate over the last complete window (b/s), 0 before the first.</summary>
    public long BitsPerSecond { get; private set; }

    public void Add(int bytes, long now)
    {
        if (_windowStart == 0) _windowStart = now;
        _windowBytes += bytes;
        var elapsed = Stopwatch.GetElapsedTime(_windowStart, now).TotalSeconds;
        if (elapsed < 1) return;
        BitsPerSecond = (long)(_windowBytes * 8 / elapsed);
        _windowBytes = 0;
        _windowStart = now;
    }
}
