namespace Sightline.WebRtc.Srtp;

/// <summary>A 64-packet sliding replay window over 48-bit packet indexes (RFC 3711 §3.3.2).</summary>
public struct ReplayWindow
{
    public const int Size = 64;
    private long _highest;
    private ulong _bits;
    private bool _started;

    /// <summary>False for a replayed or too old index; does not record it (call <see cref="Accept"/> once authenticated).</summary>
    public readonly bool Check(long index)
    {
        if (!_started || index > _highest) return true;
        var delta = _highest - index;
        return delta < Size && (_bits & 1UL << (int)delta) == 0;
    }

    public void Accept(long index)
    {
        if (!_started)
        {
            _started = true;
            _highest = index;
            _bits = 1;
            return;
        }
        if (index > _highest)
        {
            var shift = index - _highest;
            _bits = shift >= Size ? 1 : _bits << (int)shift | 1;
            _highest = index;
        }
        else
        {
            var delta = _highest - index;
            if (delta < Size) _bits |= 1UL << (int)delta;
        }
    }
}
