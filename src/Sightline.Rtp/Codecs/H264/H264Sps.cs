namespace Sightline.Rtp.Codecs.H264;

/// <summary>
/// What a player needs from an H.264 sequence parameter set (H.264 §7.3.2.1.1): profile, level, picture size, the fields
/// slice headers depend on, and the VUI's frame rate and bitstream restriction (§E.1.1).
/// </summary>
public sealed record H264Sps(int ProfileIdc, int ConstraintFlags, int LevelIdc, int Width, int Height, double? FrameRate)
{
    /// <summary>The SDP <c>profile-level-id</c> (RFC 6184 §8.1), e.g. <c>640028</c>.</summary>
    public string ProfileLevelId => $"{ProfileIdc:x2}{ConstraintFlags:x2}{LevelIdc:x2}";

    public string ProfileName => ProfileIdc switch
    {
        66 => (ConstraintFlags & 0x40) != 0 ? "Constrained Baseline" : "Baseline",
        77 => "Main",
        88 => "Extended",
        100 => "High",
        110 => "High 10",
        122 => "High 4:2:2",
        244 => "High 4:4:4 Predictive",
        _ => $"profile {ProfileIdc}",
    };

    public int SeqParameterSetId { get; init; }
    public int ChromaFormatIdc { get; init; } = 1;
    public bool SeparateColourPlane { get; init; }
    /// <summary>Bits of <c>frame_num</c> in a slice header (log2_max_frame_num_minus4 + 4).</summary>
    public int Log2MaxFrameNum { get; init; } = 4;
    /// <summary>0: POC lsb in every slice header; 1: POC from frame_num and offset cycles; 2: output order = decode order (§8.2.1).</summary>
    public int PicOrderCntType { get; init; }
    /// <summary>Bits of <c>pic_order_cnt_lsb</c> (type 0 only).</summary>
    public int Log2MaxPicOrderCntLsb { get; init; } = 4;
    public bool FrameMbsOnly { get; init; } = true;
    public int MaxNumRefFrames { get; init; }
    /// <summary>VUI <c>max_num_reorder_frames</c> (§E.2.1); null when the SPS has no bitstream restriction.</summary>
    public int? MaxNumReorderFrames { get; init; }
    /// <summary>VUI <c>max_dec_frame_buffering</c>; null when the SPS has no bitstream restriction.</summary>
    public int? MaxDecFrameBuffering { get; init; }

    /// <summary>Parses a SPS NAL unit (with its 1-byte header); null when it is not a readable SPS.</summary>
    public static H264Sps? Parse(ReadOnlySpan<byte> nal)
    {
        if (nal.Length < 4 || (nal[0] & 0x1f) != 7) return null;
        var rbsp = NalUnits.ToRbsp(nal[1..]);
        var r = new BitReader(rbsp);
        var profile = (int)r.ReadBits(8);
        var constraints = (int)r.ReadBits(8);
        var level = (int)r.ReadBits(8);
        var spsId = r.ReadUe();
        var chromaFormat = 1u;
        var separateColourPlane = false;
        if (profile is 100 or 110 or 122 or 244 or 44 or 83 or 86 or 118 or 128 or 138 or 139 or 134 or 135)
        {
            chromaFormat = r.ReadUe();
            if (chromaFormat == 3) separateColourPlane = r.ReadBit() == 1;
            r.ReadUe(); // bit_depth_luma_minus8
            r.ReadUe(); // bit_depth_chroma_minus8
            r.ReadBit(); // qpprime_y_zero_transform_bypass_flag
            if (r.ReadBit() == 1) // seq_scaling_matrix_present_flag
            {
                var lists = chromaFormat != 3 ? 8 : 12;
                for (var i = 0; i < lists; i++)
                {
                    if (r.ReadBit() == 1) SkipScalingList(ref r, i < 6 ? 16 : 64);
                }
            }
        }
        var log2MaxFrameNum = r.ReadUe() + 4;
        var pocType = r.ReadUe();
        var log2MaxPocLsb = 4u;
        if (pocType == 0)
        {
            log2MaxPocLsb = r.ReadUe() + 4;
        }
        else if (pocType == 1)
        {
            r.ReadBit(); // delta_pic_order_always_zero_flag
            r.ReadSe(); // offset_for_non_ref_pic
            r.ReadSe(); // offset_for_top_to_bottom_field
            var cycle = r.ReadUe();
            if (cycle > 255) return null;
            for (var i = 0; i < cycle; i++) r.ReadSe();
        }
        var maxRefFrames = r.ReadUe();
        r.ReadBit(); // gaps_in_frame_num_value_allowed_flag
        var widthMbs = r.ReadUe() + 1;
        var heightMapUnits = r.ReadUe() + 1;
        var frameMbsOnly = r.ReadBit();
        if (frameMbsOnly == 0) r.ReadBit(); // mb_adaptive_frame_field_flag
        r.ReadBit(); // direct_8x8_inference_flag
        uint cropLeft = 0, cropRight = 0, cropTop = 0, cropBottom = 0;
        if (r.ReadBit() == 1)
        {
            cropLeft = r.ReadUe();
            cropRight = r.ReadUe();
            cropTop = r.ReadUe();
            cropBottom = r.ReadUe();
        }
        // §7.4.2.1.1 ranges: anything outside them is not an SPS we can use for slice headers either.
        if (r.Overrun || widthMbs > 1024 || heightMapUnits > 1024 || spsId > 31 || log2MaxFrameNum > 16 || pocType > 2
            || log2MaxPocLsb > 16 || maxRefFrames > 16 || chromaFormat > 3) return null;
        var chromaArrayType = separateColourPlane ? 0u : chromaFormat;
        var cropUnitX = chromaArrayType == 0 ? 1u : chromaFormat == 3 ? 1u : 2u;
        var cropUnitY = (chromaArrayType == 0 ? 1u : chromaFormat == 1 ? 2u : 1u) * (2 - frameMbsOnly);
        var width = (int)(widthMbs * 16 - cropUnitX * (cropLeft + cropRight));
        var height = (int)((2 - frameMbsOnly) * heightMapUnits * 16 - cropUnitY * (cropTop + cropBottom));
        if (width <= 0 || height <= 0) return null;

        var vui = r.ReadBit() == 1 ? ReadVui(ref r) : default;
        return new H264Sps(profile, constraints, level, width, height, vui.FrameRate)
        {
            SeqParameterSetId = (int)spsId,
            ChromaFormatIdc = (int)chromaFormat,
            SeparateColourPlane = separateColourPlane,
            Log2MaxFrameNum = (int)log2MaxFrameNum,
            PicOrderCntType = (int)pocType,
            Log2MaxPicOrderCntLsb = (int)log2MaxPocLsb,
            FrameMbsOnly = frameMbsOnly == 1,
            MaxNumRefFrames = (int)maxRefFrames,
            MaxNumReorderFrames = vui.MaxNumReorderFrames,
            MaxDecFrameBuffering = vui.MaxDecFrameBuffering,
        };
    }

    private record struct Vui(double? FrameRate, int? MaxNumReorderFrames, int? MaxDecFrameBuffering);

    /// <summary>
    /// vui_parameters() (§E.1.1). Each part is kept only if the bits up to its end were there: a camera that cuts its SPS
    /// short after the timing info still has a frame rate.
    /// </summary>
    private static Vui ReadVui(ref BitReader r)
    {
        if (r.ReadBit() == 1) // aspect_ratio_info_present_flag
        {
            if (r.ReadBits(8) == 255) r.Skip(32); // Extended_SAR: sar_width, sar_height
        }
        if (r.ReadBit() == 1) r.ReadBit(); // overscan_info_present_flag, overscan_appropriate_flag
        if (r.ReadBit() == 1) // video_signal_type_present_flag
        {
            r.Skip(4); // video_format, video_full_range_flag
            if (r.ReadBit() == 1) r.Skip(24); // colour_primaries, transfer_characteristics, matrix_coefficients
        }
        if (r.ReadBit() == 1) // chroma_loc_info_present_flag
        {
            r.ReadUe();
            r.ReadUe();
        }
        double? fps = null;
        if (r.ReadBit() == 1) // timing_info_present_flag
        {
            var units = r.ReadBits(32);
            var scale = r.ReadBits(32);
            // time_scale counts field periods (two ticks a frame), §E.2.1.
            if (units > 0 && scale > 0 && !r.Overrun) fps = scale / (2.0 * units);
            r.ReadBit(); // fixed_frame_rate_flag
        }
        if (r.Overrun) return new Vui(fps, null, null);
        var nalHrd = r.ReadBit() == 1;
        if (nalHrd && !SkipHrdParameters(ref r)) return new Vui(fps, null, null);
        var vclHrd = r.ReadBit() == 1;
        if (vclHrd && !SkipHrdParameters(ref r)) return new Vui(fps, null, null);
        if (nalHrd || vclHrd) r.ReadBit(); // low_delay_hrd_flag
        r.ReadBit(); // pic_struct_present_flag
        if (r.ReadBit() == 0 || r.Overrun) return new Vui(fps, null, null); // bitstream_restriction_flag
        r.ReadBit(); // motion_vectors_over_pic_boundaries_flag
        r.ReadUe(); // max_bytes_per_pic_denom
        r.ReadUe(); // max_bits_per_mb_denom
        r.ReadUe(); // log2_max_mv_length_horizontal
        r.ReadUe(); // log2_max_mv_length_vertical
        var reorder = r.ReadUe();
        var buffering = r.ReadUe();
        // §E.2.1: max_num_reorder_frames ≤ max_dec_frame_buffering ≤ 16 (MaxDpbFrames); out of range is a broken SPS.
        if (r.Overrun || buffering > 16 || reorder > buffering) return new Vui(fps, null, null);
        return new Vui(fps, (int)reorder, (int)buffering);
    }

    /// <summary>hrd_parameters() (§E.1.2); false when it does not fit.</summary>
    private static bool SkipHrdParameters(ref BitReader r)
    {
        var cpbCount = r.ReadUe() + 1;
        if (cpbCount > 32) return false;
        r.Skip(4 + 4); // bit_rate_scale, cpb_size_scale
        for (var i = 0; i < cpbCount && !r.Overrun; i++)
        {
            r.ReadUe(); // bit_rate_value_minus1
            r.ReadUe(); // cpb_size_value_minus1
            r.ReadBit(); // cbr_flag
        }
        r.Skip(5 + 5 + 5 + 5); // initial_cpb_removal_delay_length, cpb_removal_delay_length, dpb_output_delay_length, time_offset_length
        return !r.Overrun;
    }

    private static void SkipScalingList(ref BitReader r, int size)
    {
        int last = 8, next = 8;
        for (var j = 0; j < size; j++)
        {
            if (next != 0)
            {
                next = (last + r.ReadSe() + 256) % 256;
            }
            last = next == 0 ? last : next;
            if (r.Overrun) return;
        }
    }
}
