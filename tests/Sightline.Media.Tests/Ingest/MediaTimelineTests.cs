using Sightline.Media.Ingest;

namespace Sightline.Media.Tests.Ingest;

/// <summary>The clock of file and HTTP cameras: continuous across loops and jumps, paced by decode time.</summary>
public class MediaTimelineTests
{
    [Fact]
    public void Media_time_starts_at_zero_from_the_inputs_first_timestamp()
    {
        var t = new MediaTimeline(1_400_000); // an MPEG-TS starting at 1.4 s
        Assert.Equal(0, t.Place(1_400_000, 1_400_000, 40_000, out var decode));
        Assert.Equal(0, decode);
        Assert.Equal(40_000, t.Place(1_440_000, 1_440_000, 40_000, out _));
    }

    [Fact]
    public void A_loop_goes_on_where_the_last_frame_ended()
    {
        var t = new MediaTimeline(0);
        for (var i = 0; i < 25; i++) t.Place(i * 40_000, i * 40_000, 40_000, out _);
        t.Restart(0);
        Assert.Equal(1_000_000, t.Place(0, 0, 40_000, out _)); // 25 frames of 40 ms, then the first again
        Assert.Equal(1, t.Segments);
    }

    [Fact]
    public void A_loop_without_durations_leaves_one_frame_of_gap()
    {
        var t = new MediaTimeline(0);
        t.Place(0, 0, null, out _);
        t.Place(960_000, 960_000, null, out _);
        t.Restart(0);
        Assert.Equal(1_000_000, t.Place(0, 0, null, out _));
    }

    [Fact]
    public void A_jump_ahead_of_more_than_ten_seconds_or_back_of_more_than_one_is_a_new_segment_not_a_jump()
    {
        var t = new MediaTimeline(0);
        t.Place(0, 0, 40_000, out _);
        Assert.Equal(40_000, t.Place(3_600_000_000, 3_600_000_000, 40_000, out _)); // an encoder restarted an hour later
        Assert.Equal(80_000, t.Place(40_000, 40_000, 40_000, out _));              // and back to zero
        Assert.Equal(2, t.Segments);
        Assert.Equal(5_120_000, t.Place(5_080_000, 5_080_000, 40_000, out _));     // 5 s ahead is no jump: a gap in the file
        Assert.Equal(5_160_000, t.Place(2_000_000, 2_000_000, 40_000, out _));     // 3 s back: a stream served in a loop
        Assert.Equal(3, t.Segments);
        Assert.Equal(4_700_000, t.Place(1_540_000, 1_540_000, 40_000, out _));     // 0.46 s back: streams interleaved, no jump
        Assert.Equal(3, t.Segments);
    }

    [Fact]
    public void B_frames_are_placed_by_their_presentation_and_paced_by_their_decode_time()
    {
        var t = new MediaTimeline(0);
        Assert.Equal(0, t.Place(-80_000, 0, 40_000, out var decode));
        Assert.Equal(-80_000, decode);
        Assert.Equal(120_000, t.Place(-40_000, 120_000, 40_000, out decode));
        Assert.Equal(-40_000, decode);
    }

    [Fact]
    public void Packets_are_due_at_their_decode_time_after_the_first()
    {
        var t = new MediaTimeline(0);
        Assert.Equal(0, t.Delay(0, nowUs: 5_000_000));
        Assert.Equal(40_000, t.Delay(40_000, nowUs: 5_000_000));
        Assert.Equal(0, t.Delay(40_000, nowUs: 5_050_000)); // late: at once
    }

    [Fact]
    public void A_source_more_than_a_second_late_is_paced_again_from_now_rather_than_bursting()
    {
        var t = new MediaTimeline(0);
        t.Delay(0, nowUs: 0);
        Assert.Equal(0, t.Delay(40_000, nowUs: 3_000_000)); // a network stall of 3 s
        Assert.Equal(40_000, t.Delay(80_000, nowUs: 3_000_000)); // the next is due one frame after it, not at once
    }
}
