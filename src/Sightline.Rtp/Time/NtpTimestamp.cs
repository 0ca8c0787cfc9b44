namespace Sightline.Rtp.Time;

/// <summary>NTP 64-bit timestamps (RFC 5905 §6): seconds since 1900 in the high word, fraction in the low word.</summary>
public static class NtpTimestamp
{
    private static readonly DateTimeOffset Epoch = new(1900, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static DateTimeOffset ToDateTime(ulong ntp)
    {
        var seconds = ntp >> 32;
        var fraction = ntp & 0xffffffff;
        var ticks = (long)seconds * TimeSpan.TicksPerSecond + (long)(fraction * (ulong)TimeSpan.TicksPerSecond >> 32);
        return Epoch.AddTicks(ticks);
    }

    public static ulong FromDateTime(DateTimeOffset time)
    {
        var ticks = (time - Epoch).Ticks;
        var seconds = (ulong)(ticks / TimeSpan.TicksPerSecond);
        var fraction = ((ulong)(ticks % TimeSpan.TicksPerSecond) << 32) / TimeSpan.TicksPerSecond;
        return seconds << 32 | fraction;
    }
}
