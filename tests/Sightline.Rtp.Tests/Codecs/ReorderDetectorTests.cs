using Sightline.Rtp.Codecs;
using static Sightline.Rtp.Tests.Codecs.SpsReorderFieldTests;

namespace Sightline.Rtp.Tests.Codecs;

/// <summary>Frame reordering from hand-built H.264 parameter sets and slice headers (§7.3.3, POC §8.2.1).</summary>
public class ReorderDetectorTests
{
    private const int P = 0, B = 1, I = 2;
    private const uint FrameNumBits = 4, PocBits = 6;

    /// <summary>slice_header() up to pic_order_cnt_lsb (§7.3.3), then a few slice data bits.</summary>
    private static byte[] Slice(int sliceType, int frameNum, int pocLsb, bool idr = false, bool reference = true,
        bool? bottomField = null, uint frameNumBits = FrameNumBits, uint pocBits = PocBits, bool writePoc = true)
    {
        var w = new BitWriter().Ue(0).Ue((uint)sliceType).Ue(0).Bits(frameNum, (int)frameNumBits);
        if (bottomField is { } bottom) w.Bit(1).Flag(bottom);
        if (idr) w.Ue(0);
        if (writePoc) w.Bits(pocLsb, (int)pocBits);
        w.Bits(0x5a5a, 16);
        var nri = reference ? 3 : 0;
        return w.ToNal((byte)(nri << 5 | (idr ? 5 : 1)));
    }

    private static ReorderDetector FedWith(byte[] sps, params byte[][] slices)
    {
        var d = ReorderDetector.ForH264();
        d.Feed(BitWriter.AccessUnit(sps, slices[0]));
        foreach (var slice in slices.Skip(1)) d.Feed(BitWriter.AccessUnit(slice));
        return d;
    }

    [Fact]
    public void Vui_max_num_reorder_frames_settles_it_without_slices_E_2_1()
    {
        var d = ReorderDetector.ForH264();
        Assert.Equal(FrameReordering.Unknown, d.Current);
        Assert.True(d.FeedParameterSet(Sps(77, vui: new Vui(Restriction: (2, 4)))));
        Assert.Equal(new FrameReordering(true, 2, "SPS VUI max_num_reorder_frames=2", true), d.Current);

        var none = FedWith(Sps(77, vui: new Vui(Restriction: (0, 1))), Slice(I, 0, 0, idr: true), Slice(B, 1, 2));
        Assert.Equal(new FrameReordering(false, 0, "SPS VUI max_num_reorder_frames=0", true), none.Current);
        Assert.Equal(0, none.PicturesExamined);
    }

    [Fact]
    public void Poc_type_2_means_output_order_is_decode_order_8_2_1_3()
    {
        var d = FedWith(Sps(66, pocType: 2), Slice(I, 0, 0, idr: true, writePoc: false), Slice(P, 1, 0, writePoc: false));
        Assert.False(d.Current.Reorders);
        Assert.True(d.Current.Certain);
        Assert.Contains("pic_order_cnt_type=2", d.Current.Reason);
    }

    [Fact]
    public void B_slices_mean_reordering_even_without_a_picture_order_count_to_measure()
    {
        // pic_order_cnt_type 1: no POC in the slice header, the slice type alone tells.
        var d = FedWith(Sps(77, pocType: 1), Slice(I, 0, 0, idr: true, writePoc: false), Slice(P, 1, 0, writePoc: false));
        Assert.False(d.Current.Reorders);
        Assert.False(d.Current.Certain);
        Assert.True(d.Feed(BitWriter.AccessUnit(Slice(B + 5, 2, 0, reference: false, writePoc: false))));
        Assert.Equal(new FrameReordering(true, 1, "B slices", true), d.Current);
    }

    [Fact]
    public void Picture_order_count_going_backwards_is_reordering_and_gives_its_depth_8_2_1_1()
    {
        // P-only reordering (no B slice at all): decode order I0 P8 P4 P2 P6 — P2 is shown before P8 and P4.
        var d = FedWith(Sps(77), Slice(I, 0, 0, idr: true), Slice(P, 1, 8), Slice(P, 2, 4), Slice(P, 3, 2), Slice(P, 4, 6));
        Assert.Equal(new FrameReordering(true, 2, "picture order count goes backwards", true), d.Current);
        Assert.Equal(5, d.PicturesExamined);
    }

    [Fact]
    public void B_pyramid_gives_depth_two_and_both_reasons()
    {
        // x264 b-pyramid: I0 P8 B4(ref) b2 b6, then P16 B12(ref) b10 b14.
        var d = FedWith(Sps(77), Slice(I, 0, 0, idr: true), Slice(P, 1, 8), Slice(B, 2, 4), Slice(B, 3, 2, reference: false),
            Slice(B, 3, 6, reference: false), Slice(P, 3, 16), Slice(B, 4, 12), Slice(B, 5, 10, reference: false), Slice(B, 5, 14, reference: false));
        Assert.Equal(new FrameReordering(true, 2, "B slices, picture order count goes backwards", true), d.Current);
    }

    [Fact]
    public void Increasing_picture_order_count_across_lsb_wraps_is_no_reordering_8_2_1_1()
    {
        // 4-bit POC lsb wraps every 8 frames; 40 frames in one GOP, with non-reference frames in between.
        var d = ReorderDetector.ForH264();
        d.Feed(BitWriter.AccessUnit(Sps(77, log2MaxPocLsb: 4), Slice(I, 0, 0, idr: true, pocBits: 4)));
        for (var n = 1; n < 40; n++) d.Feed(BitWriter.AccessUnit(Slice(P, n % 16, 2 * n % 16, reference: n % 3 != 0, pocBits: 4)));
        Assert.False(d.Current.Reorders);
        Assert.False(d.Current.Certain);
        Assert.Equal(40, d.PicturesExamined);
    }

    [Fact]
    public void Each_IDR_starts_a_new_picture_order_count()
    {
        var d = FedWith(Sps(77), Slice(I, 0, 0, idr: true), Slice(P, 1, 2), Slice(P, 2, 4), Slice(I, 0, 0, idr: true), Slice(P, 1, 2));
        Assert.False(d.Current.Reorders);
    }

    [Fact]
    public void Bottom_field_first_pairs_are_not_reordering_3_30()
    {
        // Interlaced, bottom field decoded first (POC 2n+1, then 2n) for every frame.
        var sps = Sps(77, frameMbsOnly: false);
        var d = ReorderDetector.ForH264();
        d.Feed(BitWriter.AccessUnit(sps, Slice(I, 0, 1, idr: true, bottomField: true)));
        d.Feed(BitWriter.AccessUnit(Slice(P, 0, 0, bottomField: false)));
        for (var n = 1; n < 6; n++)
        {
            d.Feed(BitWriter.AccessUnit(Slice(P, n, 4 * n + 1, bottomField: true)));
            d.Feed(BitWriter.AccessUnit(Slice(P, n, 4 * n, bottomField: false)));
        }
        Assert.False(d.Current.Reorders);
        Assert.Equal(12, d.PicturesExamined);

        // A B field pair shown before the P pair decoded ahead of it is reordering.
        d.Feed(BitWriter.AccessUnit(Slice(P, 6, 33, bottomField: true)));
        d.Feed(BitWriter.AccessUnit(Slice(P, 6, 32, bottomField: false)));
        d.Feed(BitWriter.AccessUnit(Slice(B, 7, 29, reference: false, bottomField: true)));
        Assert.Equal((true, 1), (d.Current.Reorders, d.Current.Depth));
    }

    [Fact]
    public void A_new_sps_starts_over()
    {
        var d = FedWith(Sps(77), Slice(I, 0, 0, idr: true), Slice(P, 1, 8), Slice(B, 2, 4));
        Assert.True(d.Current.Reorders);
        Assert.True(d.Feed(BitWriter.AccessUnit(Sps(77, vui: new Vui(Restriction: (0, 1))), Slice(I, 0, 0, idr: true))));
        Assert.Equal(new FrameReordering(false, 0, "SPS VUI max_num_reorder_frames=0", true), d.Current);
    }

    [Fact]
    public void Slices_before_any_sps_and_garbage_are_counted_not_thrown()
    {
        var d = ReorderDetector.ForH264();
        d.Feed(BitWriter.AccessUnit(Slice(P, 1, 2)));
        Assert.Equal(1, d.Issues(ReorderInputIssue.SliceBeforeSps));
        d.Feed(BitWriter.AccessUnit([0x67, 0xff]));
        Assert.Equal(1, d.Issues(ReorderInputIssue.UnreadableSps));
        d.Feed(BitWriter.AccessUnit(Sps(77)));
        d.Feed(BitWriter.AccessUnit([0x41, 0x00])); // slice_type runs past the end
        Assert.Equal(1, d.Issues(ReorderInputIssue.UnreadableSliceHeader));

        var r = new Random(7);
        var h265 = ReorderDetector.ForH265();
        for (var i = 0; i < 5000; i++)
        {
            var junk = new byte[r.Next(0, 80)];
            r.NextBytes(junk);
            d.Feed(junk);
            d.Feed(BitWriter.AccessUnit(junk));
            h265.Feed(BitWriter.AccessUnit(junk));
        }
        Assert.InRange(d.Current.Depth, 0, 16);
    }

    [Fact]
    public void H265_sps_settles_it_7_4_3_2_1()
    {
        var d = ReorderDetector.ForH265();
        var sps = Convert.FromHexString("42010101600000030090000003000003003ca00a080f165959a4932bc05a020000030002000003003210");
        Assert.True(d.Feed(BitWriter.AccessUnit(sps, [0x26, 0x01, 0xaf])));
        Assert.Equal(new FrameReordering(true, 2, "SPS sps_max_num_reorder_pics=2", true), d.Current);
    }

    [Fact]
    public void Steady_state_allocates_nothing_per_frame()
    {
        var sps = Sps(77);
        var gop = new List<byte[]> { BitWriter.AccessUnit(sps, Slice(I, 0, 0, idr: true)) };
        for (var n = 1; n < 25; n++) gop.Add(BitWriter.AccessUnit(Slice(n % 3 == 0 ? P : B, n % 16, (2 * n + (n % 3 == 0 ? 4 : 0)) % 64)));
        var d = ReorderDetector.ForH264();
        foreach (var au in gop) d.Feed(au); // warm-up: the SPS is parsed once
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var round = 0; round < 40; round++)
        {
            foreach (var au in gop) d.Feed(au);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(d.Current.Reorders);
    }
}
