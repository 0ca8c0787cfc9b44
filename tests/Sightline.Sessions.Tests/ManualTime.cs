namespace Sightline.Sessions.Tests;

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualTime(long startMs = 1_712_345_670_000) : TimeProvider
{
    private long _nowMs = startMs;

    public long NowMs => _nowMs;

    public void Advance(TimeSpan by) => _nowMs += (long)by.TotalMilliseconds;

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(_nowMs);
}
