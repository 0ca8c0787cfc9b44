namespace Sightline.Rtp.Time;

/// <summary>Extends 16-bit RTP sequence numbers to 64 bits across wrap-around (RFC 3550 Appendix A.1 idea).</summary>
public struct SequenceUnwrapper
{
    private long _last;
    private bool _started;

    /// <summary>The extended number of <paramref name="sequence"/>, taking the nearest value to the last one seen.</summary>
    public long Unwrap(ushort sequence)
    {
        if (!_started)
        {
            _started = true;
            _last = sequence + 65536L; // room below for packets older than the first
            return _last;
        }
        var delta = (short)(sequence - (ushort)_last);
        var value = _last + delta;
        if (value > _last) _last = value;
        return value;
    }

    /// <summary>The extended number of <paramref name="sequence"/> without moving the reference.</summary>
    public readonly long Peek(ushort sequence) => !_started ? sequence + 65536L : _last + (short)(sequence - (ushort)_last);
}

/// <summary>Extends 32-bit RTP timestamps to 64 bits across wrap-around.</summary>
public struct TimestampUnwrapper
{
    private long _last;
    private bool _started;

    public long Unwrap(uint timestamp)
    {
        if (!_started)
        {
            _started = true;
            _last = timestamp + (1L << 32);
            return _last;
        }
        var delta = (int)(timestamp - (uint)_last);
        var value = _last + delta;
        if (value > _last) _last = value;
        return value;
    }
}
