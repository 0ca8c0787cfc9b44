namespace Sightline.Media.Tests;

/// <summary>A clock the test moves by hand (timestamps in milliseconds).</summary>
public sealed class ManualClock : TimeProvider
{
    private long _ms = 1_000_000;

    public void Advance(TimeSpan by) => _ms += (long)by.TotalMilliseconds;

    public override long TimestampFrequency => 1000;

    public override long GetTimestamp() => _ms;
}
