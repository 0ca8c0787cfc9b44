using Sightline.Media.Adaptation;
using Sightline.WebRtc;

namespace Sightline.Media.Tests;

/// <summary>
/// A receiver's REMB is a ceiling (draft-alvestrand-rmcat-remb §2: the maximum it wants to receive), whether or not it
/// also sends transport-wide feedback; pion and libwebrtc can send both.
/// </summary>
public sealed class RungSelectorCeilingTests
{
    // A 2 Mb/s camera: half size at 800 kb/s, quarter size at 320 kb/s.
    private static readonly long[] Ladder = [2_000_000, 800_000, 320_000];

    private static BandwidthEstimate Delivered(long bps) => new(bps, "transport-cc", 0);
    private static BandwidthEstimate Remb(long bps) => new(bps, "remb", 0);

    [Fact]
    public void Remb_ceiling_moves_the_viewer_down_at_once_though_transport_feedback_says_the_link_is_clean()
    {
        var clock = new ManualClock();
        var s = new RungSelector(clock);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(0, s.OnEstimate(Delivered(2_100_000), Ladder));
        // 400 kb/s with 15 % headroom is 340 kb/s: only the quarter-size rung fits under it.
        Assert.Equal(2, s.OnEstimate(Remb(400_000), Ladder));
        Assert.Equal(400_000, s.Ceiling);
        Assert.Equal(1, s.Switches);
    }

    [Fact]
    public void Viewer_under_a_ceiling_never_probes_nor_moves_above_it()
    {
        var clock = new ManualClock();
        var s = new RungSelector(clock);
        s.OnEstimate(Remb(400_000), Ladder);
        // Two minutes of clean feedback on everything offered, a REMB every second: no probe, no move up.
        for (var t = 0; t < 240; t++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(500));
            Assert.Equal(2, s.OnEstimate(Delivered(Ladder[s.Rung] + s.ProbeBitsPerSecond), Ladder));
            if (t % 2 == 1) Assert.Equal(2, s.OnEstimate(Remb(400_000), Ladder));
            Assert.Equal(0, s.ProbeBitsPerSecond);
        }
        Assert.Equal(1, s.Switches);
    }

    [Theory]
    [InlineData(3_000_000, 0)] // 2 Mb/s fits under 2.55 Mb/s
    [InlineData(1_000_000, 1)] // 800 kb/s fits under 850 kb/s
    [InlineData(900_000, 2)]   // 800 kb/s does not fit under 765 kb/s
    [InlineData(200_000, 2)]   // nothing fits: the lightest rung
    public void Remb_ceiling_picks_the_best_rung_that_fits_under_it_with_the_headroom(long ceiling, int rung)
    {
        var clock = new ManualClock();
        var s = new RungSelector(clock);
        s.OnEstimate(Delivered(2_100_000), Ladder);
        Assert.Equal(rung, s.OnEstimate(Remb(ceiling), Ladder));
    }

    [Fact]
    public void Probe_in_progress_ends_when_a_ceiling_below_the_upper_rung_arrives()
    {
        var clock = new ManualClock();
        var s = new RungSelector(clock);
        s.OnEstimate(new BandwidthEstimate(400_000, "transport-cc", 0.8), Ladder);
        clock.Advance(TimeSpan.FromSeconds(4.5));
        s.OnEstimate(Delivered(320_000), Ladder);
        Assert.True(s.ProbeBitsPerSecond > 0);
        s.OnEstimate(Remb(500_000), Ladder);
        Assert.Equal(0, s.ProbeBitsPerSecond);
        Assert.Equal(2, s.Rung);
    }

    [Fact]
    public void Ceiling_above_the_upper_rung_lets_the_viewer_probe_and_move_up_to_it()
    {
        var clock = new ManualClock();
        var s = new RungSelector(clock);
        s.OnEstimate(new BandwidthEstimate(400_000, "transport-cc", 0.8), Ladder);
        for (var t = 0; t < 120 && s.Rung != 1; t++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(500));
            s.OnEstimate(Remb(1_200_000), Ladder);
            s.OnEstimate(Delivered(Ladder[s.Rung] + s.ProbeBitsPerSecond), Ladder);
            Assert.True(s.ProbeTarget <= 1_200_000, $"probe aims at {s.ProbeTarget}");
        }
        Assert.Equal(1, s.Rung);
        // And no further: the camera's own stream does not fit under 1.2 Mb/s.
        for (var t = 0; t < 120; t++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(500));
            s.OnEstimate(Remb(1_200_000), Ladder);
            Assert.Equal(1, s.OnEstimate(Delivered(Ladder[s.Rung] + s.ProbeBitsPerSecond), Ladder));
            Assert.Equal(0, s.ProbeBitsPerSecond);
        }
    }

    [Fact]
    public void Stale_remb_stops_limiting_and_the_viewer_climbs_back()
    {
        var clock = new ManualClock();
        var s = new RungSelector(clock);
        s.OnEstimate(Delivered(2_100_000), Ladder);
        Assert.Equal(2, s.OnEstimate(Remb(400_000), Ladder));
        // The receiver stops sending REMB; transport-wide feedback goes on, and the link carries what is sent.
        clock.Advance(RungSelector.CeilingLifetime + TimeSpan.FromMilliseconds(500));
        Assert.Equal(0, s.Ceiling);
        for (var t = 0; t < 240 && s.Rung != 0; t++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(500));
            s.OnEstimate(Delivered(Ladder[s.Rung] + s.ProbeBitsPerSecond), Ladder);
        }
        Assert.Equal(0, s.Rung);
        Assert.Equal(0, s.ProbesFailed);
    }

    [Fact]
    public void Remb_only_viewer_is_steered_by_its_remb()
    {
        var clock = new ManualClock();
        var s = new RungSelector(clock);
        Assert.Equal(2, s.OnEstimate(Remb(400_000), Ladder));
        // Its estimate grows (the link is fine): it moves up once the hold is over, a rung at a time.
        for (var t = 0; t < 120 && s.Rung != 0; t++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(500));
            s.OnEstimate(Remb(3_000_000), Ladder);
        }
        Assert.Equal(0, s.Rung);
        Assert.Equal(3, s.Switches);
    }

    [Fact]
    public void Encoder_limit_is_the_ceiling_with_headroom_or_four_fifths_of_the_congested_capacity_whichever_is_lower()
    {
        var clock = new ManualClock();
        var s = new RungSelector(clock);
        Assert.Equal(0, s.EncoderLimit);
        s.OnEstimate(Remb(300_000), Ladder);
        Assert.Equal(2, s.Rung); // the lightest rung, and still above the ceiling: its encoder is held under it
        Assert.Equal(255_000, s.EncoderLimit);
        s.OnEstimate(new BandwidthEstimate(250_000, "transport-cc", 0.5), Ladder);
        Assert.Equal(200_000, s.EncoderLimit);
        clock.Advance(RungSelector.CeilingLifetime + TimeSpan.FromSeconds(1));
        Assert.Equal(200_000, s.EncoderLimit);
        var fresh = new RungSelector(clock);
        fresh.OnEstimate(Remb(300_000), Ladder);
        clock.Advance(RungSelector.CeilingLifetime + TimeSpan.FromSeconds(1));
        Assert.Equal(0, fresh.EncoderLimit);
    }
}
