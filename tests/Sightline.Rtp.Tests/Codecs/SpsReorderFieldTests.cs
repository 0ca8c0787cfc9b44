using Sightline.Rtp.Codecs.H264;
using Sightline.Rtp.Codecs.H265;

namespace Sightline.Rtp.Tests.Codecs;

/// <summary>The SPS fields frame reordering depends on: H.264 VUI (§E.1.1) read through HRD, and H.265's DPB limits.</summary>
public class SpsReorderFieldTests
{
    /// <summary>The VUI of an H.264 SPS, field by field (§E.1.1); null parts are absent.</summary>
    public sealed record Vui(
        (uint Units, uint Scale)? Timing = null,
        int NalHrdCpbs = 0,
        int VclHrdCpbs = 0,
        bool PicStruct = false,
        (uint Reorder, uint Buffering)? Restriction = null,
        bool Aspect = false);

    /// <summary>An H.264 SPS NAL unit written field by field (§7.3.2.1.1), 320x240 unless told.</summary>
    public static byte[] Sps(int profile = 77, bool frameMbsOnly = true, uint pocType = 0, uint log2MaxFrameNum = 4,
        uint log2MaxPocLsb = 6, Vui? vui = null, uint widthMbs = 20, uint heightMapUnits = 15)
    {
        var w = new BitWriter().Bits(profile, 8).Bits(0, 8).Bits(30, 8).Ue(0);
        if (profile is 100 or 110 or 122 or 244) w.Ue(1).Ue(0).Ue(0).Bit(0).Bit(0); // 4:2:0, 8 bits, no scaling matrix
        w.Ue(log2MaxFrameNum - 4).Ue(pocType);
        if (pocType == 0) w.Ue(log2MaxPocLsb - 4);
        if (pocType == 1) w.Bit(0).Se(0).Se(0).Ue(1).Se(2); // one cycle of offset 2
        w.Ue(4).Bit(0).Ue(widthMbs - 1).Ue(heightMapUnits - 1).Flag(frameMbsOnly);
        if (!frameMbsOnly) w.Bit(0); // mb_adaptive_frame_field_flag
        w.Bit(1).Bit(0); // direct_8x8_inference_flag, no cropping
        w.Flag(vui is not null);
        if (vui is not null)
        {
            w.Flag(vui.Aspect);
            if (vui.Aspect) w.Bits(255, 8).Bits(4, 16).Bits(3, 16); // Extended_SAR
            w.Bit(0).Bit(0).Bit(0); // overscan, video signal type, chroma location
            w.Flag(vui.Timing is not null);
            if (vui.Timing is { } t) w.Bits(t.Units, 32).Bits(t.Scale, 32).Bit(1);
            w.Flag(vui.NalHrdCpbs > 0);
            if (vui.NalHrdCpbs > 0) Hrd(w, vui.NalHrdCpbs);
            w.Flag(vui.VclHrdCpbs > 0);
            if (vui.VclHrdCpbs > 0) Hrd(w, vui.VclHrdCpbs);
            if (vui.NalHrdCpbs > 0 || vui.VclHrdCpbs > 0) w.Bit(0); // low_delay_hrd_flag
            w.Flag(vui.PicStruct);
            w.Flag(vui.Restriction is not null);
            if (vui.Restriction is { } r) w.Bit(1).Ue(2).Ue(1).Ue(16).Ue(16).Ue(r.Reorder).Ue(r.Buffering);
        }
        return w.ToNal(0x67);
    }

    private static void Hrd(BitWriter w, int cpbs)
    {
        w.Ue((uint)cpbs - 1).Bits(4, 4).Bits(6, 4);
        for (var i = 0; i < cpbs; i++) w.Ue(12_499 + (uint)i).Ue(31_249).Bit(i & 1);
        w.Bits(23, 5).Bits(23, 5).Bits(23, 5).Bits(24, 5);
    }

    [Fact]
    public void Bitstream_restriction_gives_max_num_reorder_frames_and_max_dec_frame_buffering_E_2_1()
    {
        var sps = H264Sps.Parse(Sps(100, vui: new Vui(Timing: (1, 50), Restriction: (2, 4))))!;
        Assert.Equal((2, 4), (sps.MaxNumReorderFrames, sps.MaxDecFrameBuffering));
        Assert.Equal(25.0, sps.FrameRate);
        Assert.Equal((320, 240, "High"), (sps.Width, sps.Height, sps.ProfileName));
    }

    [Fact]
    public void NAL_and_VCL_HRD_parameters_are_read_through_to_the_bitstream_restriction_E_1_2()
    {
        var sps = H264Sps.Parse(Sps(77, vui: new Vui(Timing: (1001, 60000), NalHrdCpbs: 3, VclHrdCpbs: 1, PicStruct: true, Restriction: (3, 5), Aspect: true)))!;
        Assert.Equal((3, 5), (sps.MaxNumReorderFrames, sps.MaxDecFrameBuffering));
        Assert.Equal(60000 / 2002.0, sps.FrameRate!.Value, 6);
    }

    [Fact]
    public void Sps_without_VUI_or_without_bitstream_restriction_says_nothing_of_reordering()
    {
        Assert.Null(H264Sps.Parse(Sps(77))!.MaxNumReorderFrames);
        var timingOnly = H264Sps.Parse(Sps(77, vui: new Vui(Timing: (1, 60))))!;
        Assert.Null(timingOnly.MaxNumReorderFrames);
        Assert.Equal(30.0, timingOnly.FrameRate);
    }

    [Fact]
    public void Interlaced_sps_frame_mbs_only_0_gives_field_height_and_slice_header_fields_7_4_2_1_1()
    {
        var sps = H264Sps.Parse(Sps(77, frameMbsOnly: false, log2MaxFrameNum: 9, log2MaxPocLsb: 11, heightMapUnits: 18, widthMbs: 45,
            vui: new Vui(Restriction: (1, 3))))!;
        Assert.False(sps.FrameMbsOnly);
        Assert.Equal((720, 576), (sps.Width, sps.Height));
        Assert.Equal((9, 0, 11), (sps.Log2MaxFrameNum, sps.PicOrderCntType, sps.Log2MaxPicOrderCntLsb));
        Assert.Equal(1, sps.MaxNumReorderFrames);
    }

    [Fact]
    public void Picture_order_count_types_1_and_2_are_read()
    {
        Assert.Equal(1, H264Sps.Parse(Sps(77, pocType: 1))!.PicOrderCntType);
        Assert.Equal(2, H264Sps.Parse(Sps(66, pocType: 2))!.PicOrderCntType);
    }

    [Fact]
    public void Reorder_frames_beyond_the_decoded_frame_buffer_are_not_trusted_E_2_1()
    {
        var sps = H264Sps.Parse(Sps(77, vui: new Vui(Restriction: (5, 2))))!;
        Assert.Null(sps.MaxNumReorderFrames);
        Assert.Equal((320, 240), (sps.Width, sps.Height));
    }

    [Fact]
    public void Sps_cut_inside_the_HRD_keeps_its_frame_rate_and_loses_only_the_restriction()
    {
        var full = Sps(77, vui: new Vui(Timing: (1, 50), NalHrdCpbs: 2, Restriction: (2, 4)));
        var cut = H264Sps.Parse(full.AsSpan(0, full.Length - 6))!;
        Assert.Equal(25.0, cut.FrameRate);
        Assert.Null(cut.MaxNumReorderFrames);
    }

    [Fact]
    public void Real_x264_main_sps_with_bframes_3_says_two_reorder_frames()
    {
        // libx264 (Debian 12) -profile:v main -bf 3, 320x240: b-pyramid normal holds two frames back.
        var sps = H264Sps.Parse(Convert.FromHexString("674d400deca0a0fd80880000030008000003019078a14cb0"))!;
        Assert.Equal(("Main", 320, 240), (sps.ProfileName, sps.Width, sps.Height));
        Assert.Equal((2, 4), (sps.MaxNumReorderFrames, sps.MaxDecFrameBuffering));
        Assert.Equal(25.0, sps.FrameRate);
    }

    [Fact]
    public void Real_x265_sps_gives_sps_max_num_reorder_pics_of_the_highest_sub_layer_7_4_3_2_1()
    {
        // libx265 (Debian 12) defaults, 320x240: 4 B-frames with b-pyramid.
        var sps = H265Sps.Parse(Convert.FromHexString("42010101600000030090000003000003003ca00a080f165959a4932bc05a020000030002000003003210"))!;
        Assert.Equal((320, 240, "Main"), (sps.Width, sps.Height, sps.ProfileName));
        Assert.Equal(2, sps.MaxNumReorderPics);
        Assert.InRange(sps.MaxDecPicBuffering!.Value, 3, 16);
    }

    [Fact]
    public void Truncated_sps_never_throws()
    {
        var full = Sps(100, vui: new Vui(Timing: (1, 50), NalHrdCpbs: 2, VclHrdCpbs: 2, Restriction: (2, 4)));
        for (var n = 0; n <= full.Length; n++)
        {
            var sps = H264Sps.Parse(full.AsSpan(0, n));
            Assert.True(sps is null || sps.MaxNumReorderFrames is null or 2);
        }
        var h265 = Convert.FromHexString("42010101600000030090000003000003003ca00a080f165959a4932bc05a020000030002000003003210");
        for (var n = 0; n <= h265.Length; n++)
        {
            var sps = H265Sps.Parse(h265.AsSpan(0, n));
            Assert.True(sps is null || sps.MaxNumReorderPics is null or 2);
        }
    }
}
