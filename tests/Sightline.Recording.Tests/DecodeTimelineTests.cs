using Sightline.Recording.Individual;

namespace Sightline.Recording.Tests;

public class DecodeTimelineTests
{
    private const long Frame = 3600; // 25 fps at 90 kHz

    /// <summary>Decode times for presentation times given in frames, in decode order.</summary>
    private static long[] DecodeTimes(DecodeTimeline timeline, params long[] framesShown) =>
        [.. framesShown.Select(f => timeline.Next(f * Frame))];

    private static void AssertValid(long[] presentation, long[] decode)
    {
        for (var i = 0; i < decode.Length; i++)
        {
            Assert.True(decode[i] <= presentation[i], $"frame {i}: decoded at {decode[i]}, shown at {presentation[i]}");
            if (i > 0) Assert.True(decode[i] > decode[i - 1], $"frame {i}: decode time {decode[i]} after {decode[i - 1]}");
        }
    }

    [Fact]
    public void Without_reordering_the_decode_time_is_the_presentation_time()
    {
        var t = new DecodeTimeline(0, Frame);
        Assert.Equal([0, Frame, 2 * Frame, 3 * Frame], DecodeTimes(t, 0, 1, 2, 3));
        Assert.Equal(0, t.Lead);
    }

    [Fact]
    public void B_frames_decode_at_the_presentation_time_depth_frames_earlier_in_output_order()
    {
        // x264 -bf 3 b-pyramid, shown 2 frames into the file (Lead): I2 P6 B4 b3 b5 P10 B8 b7 b9.
        var t = new DecodeTimeline(2, Frame);
        Assert.Equal(2 * Frame, t.Lead);
        long[] shown = [2, 6, 4, 3, 5, 10, 8, 7, 9];
        var decode = DecodeTimes(t, shown);
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 5, 6, 7, 8 }.Select(f => f * Frame), decode);
        AssertValid([.. shown.Select(f => f * Frame)], decode);
    }

    [Fact]
    public void A_deeper_reordering_than_announced_raises_the_depth_and_keeps_decode_times_valid_after_it()
    {
        // Announced as none (an SPS without bitstream restriction), then B-frames: I0 P3 B1 B2 P6 B4 B5 …
        var t = new DecodeTimeline(0, Frame);
        long[] shown = [0, 3, 1, 2, 6, 4, 5, 9, 7, 8, 12, 10, 11];
        var decode = DecodeTimes(t, shown);
        Assert.Equal(1, t.Depth);
        for (var i = 1; i < decode.Length; i++) Assert.True(decode[i] > decode[i - 1]);
        // Once the window holds the new depth, decode times are back at or before presentation times.
        for (var i = 6; i < decode.Length; i++) Assert.True(decode[i] <= shown[i] * Frame, $"frame {i}");
    }

    [Fact]
    public void A_new_run_after_a_reconnection_keeps_rising()
    {
        var t = new DecodeTimeline(1, Frame);
        var first = DecodeTimes(t, 1, 3, 2, 5, 4);
        t.Restart();
        var second = DecodeTimes(t, 100, 102, 101, 104, 103);
        Assert.True(second[0] > first[^1]);
        AssertValid([100 * Frame, 102 * Frame, 101 * Frame, 104 * Frame, 103 * Frame], second);
        Assert.Equal(99 * Frame, second[0]); // the run's first frame, one frame (the depth) before its picture
    }

    [Fact]
    public void Equal_presentation_times_still_get_rising_decode_times()
    {
        var t = new DecodeTimeline(1, Frame);
        var decode = DecodeTimes(t, 1, 1, 1, 2);
        for (var i = 1; i < decode.Length; i++) Assert.True(decode[i] > decode[i - 1]);
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        var t = new DecodeTimeline(2, Frame);
        long[] gop = [2, 6, 4, 3, 5, 10, 8, 7, 9];
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var round = 0; round < 1000; round++)
        {
            foreach (var f in gop) t.Next((f + round * 8) * Frame);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(2, t.Depth);
    }
}
