using Sightline.Media.Adaptation;
using Sightline.WebRtc;

namespace Sightline.Media.Tests;

public sealed class RungSelectorTests
{
    // A 2 Mb/s camera: half size at 800 kb/s, quarter size at 320 kb/s.
    private static readonly long[] Ladder = [2_000_000, 800_000, 320_000];

    private static BandwidthEstimate Clean(long bps) => new(bps, "transport-cc", 0);
    private static BandwidthEstimate Lossy(long bps, double loss) => new(bps, "transport-cc", loss);

    [Fact]
    public void GoodLink_StaysOnTheCameraStream()
    {
        var clock = new ManualClock();
        var s = new RungSelector(clock);
        for (var i = 0; i < 100; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(500));
            Assert.Equal(0, s.OnEstimate(Clean(2_100_000), Ladder));
        }
        Assert.Equal(0, s.Switches);
        Assert.Equal(0, s.ProbeBitsPerSecond);
    }

    [Fact]
    public void CongestedLink_GoesStraightToTheRungThatFits()
    {
        var clock = new ManualClock();
        var s = new RungSelector(clock);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        // 400 kb/s arrive out of 2 Mb/s: 800 kb/s does not fit, 320 kb/s does (with 15 % headroom: 340 kb/s).
        Assert.Equal(2, s.OnEstimate(Lossy(400_000, 0.8), Ladder));
        Assert.Equal(1, s.Switches);
        Assert.Equal(400_000, s.Capacity);
        // Mild loss later does not move it again.
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(2, s.OnEstimate(Lossy(330_000, 0.05), Ladder));
        Assert.Equal(1, s.Switches);
    }

    [Fact]
    public void LinkThatCannotCarryMore_ProbesRarelyAndNeverMovesUp()
    {
        var clock = new ManualClock();
        var s = new RungSelector(clock);
        s.OnEstimate(Lossy(400_000, 0.8), Ladder);
        var probes = 0;
        long delivered = 320_000;
        var probeStarts = new List<double>();
        for (var t = 0; t < 240; t++) // two minutes of 500 ms windows
        {
            clock.Advance(TimeSpan.FromMilliseconds(500));
            var probing = s.ProbeBitsPerSecond > 0;
            // What the link delivers: the rung plus any probe, cut at 400 kb/s, lossy above it.
            var offered = 320_000 + s.ProbeBitsPerSecond;
            // A probe never aims the link at more than 1.25x (or +50 kb/s) of what it last carried.
            Assert.True(s.ProbeTarget <= Math.Max(delivered * 5 / 4, delivered + 50_000), $"probe {s.ProbeTarget} after {delivered}");
            var estimate = offered > 400_000 ? Lossy(400_000, 1 - 400_000.0 / offered) : Clean(offered);
            delivered = estimate.BitsPerSecond;
            s.OnEstimate(estimate, Ladder);
            if (!probing && s.ProbeBitsPerSecond > 0)
            {
                probes++;
                probeStarts.Add(t * 0.5);
            }
            Assert.Equal(2, s.Rung);
        }
        Assert.Equal(1, s.Switches);
        // Hold times double after each failed probe: 4, 8, 16, 32, 60 s ... a handful in two minutes, not dozens.
        Assert.InRange(probes, 3, 7);
        Assert.True(s.ProbesFailed >= probes - 1);
        for (var i = 2; i < probeStarts.Count; i++) Assert.True(probeStarts[i] - probeStarts[i - 1] >= probeStarts[i - 1] - probeStarts[i - 2] - 1);
    }

    [Fact]
    public void LinkThatRecovers_IsProbedInStepsAndTheViewerMovesBackUp()
    {
        var clock = new ManualClock();
        var s = new RungSelector(clock);
        s.OnEstimate(Lossy(400_000, 0.8), Ladder);
        Assert.Equal(2, s.Rung);
        // The link opens up: everything offered arrives.
        var sawRung1 = false;
        long delivered = 320_000;
        for (var t = 0; t < 120 && s.Rung != 0; t++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(500));
            // Each probe step asks at most 1.25x (or +50 kb/s) of what the link was last seen to carry.
            Assert.True(s.ProbeTarget <= Math.Max(delivered * 5 / 4, delivered + 50_000), $"probe {s.ProbeTarget} after {delivered}");
            var offered = Ladder[s.Rung] + s.ProbeBitsPerSecond;
            s.OnEstimate(Clean(offered), Ladder);
            delivered = offered;
            sawRung1 |= s.Rung == 1;
        }
        Assert.True(sawRung1);
        Assert.Equal(0, s.Rung);
        Assert.Equal(0, s.ProbesFailed);
    }

    [Fact]
    public void ProbeThatMakesTheQueueGrow_StopsAtOnce()
    {
        var clock = new ManualClock();
        var s = new RungSelector(clock);
        s.OnEstimate(Lossy(400_000, 0.8), Ladder);
        clock.Advance(TimeSpan.FromSeconds(4.5));
        s.OnEstimate(Clean(320_000), Ladder);
        Assert.True(s.ProbeBitsPerSecond > 0);
        // No loss yet, but the queue grew 40 ms over the window: the link is full.
        clock.Advance(TimeSpan.FromMilliseconds(500));
        s.OnEstimate(new BandwidthEstimate(400_000, "transport-cc", 0, QueueGrowthMs: 40), Ladder);
        Assert.Equal(0, s.ProbeBitsPerSecond);
        Assert.Equal(1, s.ProbesFailed);
        Assert.Equal(2, s.Rung);
    }

    [Fact]
    public void DeepBufferFillingUp_IsCongestionEvenWithoutLoss()
    {
        var clock = new ManualClock();
        var s = new RungSelector(clock);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        // Nothing lost, but the link's queue grew 300 ms in half a second: it carries 700 kb/s, not the 2 Mb/s sent.
        Assert.Equal(2, s.OnEstimate(new BandwidthEstimate(700_000, "transport-cc", 0, QueueGrowthMs: 300), Ladder));
        // Small jitter in the queue is not.
        var calm = new RungSelector(clock);
        Assert.Equal(0, calm.OnEstimate(new BandwidthEstimate(2_000_000, "transport-cc", 0, QueueGrowthMs: 30), Ladder));
    }

    [Fact]
    public void FallSoonAfterMovingUp_DoublesTheHold()
    {
        var clock = new ManualClock();
        var s = new RungSelector(clock) { CanProbe = false };
        s.OnEstimate(Lossy(700_000, 0.6), Ladder);
        Assert.Equal(2, s.Rung);
        // Without probing, a move up is tried once the hold (4 s) is over.
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(2, s.OnEstimate(Clean(320_000), Ladder));
        clock.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal(1, s.OnEstimate(Clean(320_000), Ladder));
        // It was too much: back down at once, and the next try waits 8 s, not 4.
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, s.OnEstimate(Lossy(600_000, 0.3), Ladder));
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(2, s.OnEstimate(Clean(320_000), Ladder));
        clock.Advance(TimeSpan.FromSeconds(3.5));
        Assert.Equal(1, s.OnEstimate(Clean(320_000), Ladder));
        Assert.Equal(4, s.Switches);
    }
}
