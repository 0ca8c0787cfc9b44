namespace Sightline.Rtp.Codecs.H264;

/// <summary>What a player needs from an H.264 sequence parameter set (H.264 §7.3.2.1.1): profile, level, picture size.</summary>
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

    /// <summary>Parses a SPS NAL unit (with its 1-byte header); null when it is not a readable SPS.</summary>
    public static H264Sps? Parse(ReadOnlySpan<byte> nal)
    {
        if (nal.Length < 4 || (nal[0] & 0x1f) != 7) return null;
        var rbsp = NalUnits.ToRbsp(nal[1..]);
        var r = new BitReader(rbsp);
        var profile = (int)r.ReadBits(8);
        var constraints = (int)r.ReadBits(8);
        var level = (int)r.ReadBits(8);
        r.ReadUe(); // seq_parameter_set_id
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
        r.ReadUe(); // log2_max_frame_num_minus4
        var pocType = r.ReadUe();
        if (pocType == 0)
        {
            r.ReadUe();
        }
        else if (pocType == 1)
        {
            r.ReadBit();
            r.ReadSe();
            r.ReadSe();
            var cycle = r.ReadUe();
            if (cycle > 255) return null;
            for (var i = 0; i < cycle; i++) r.ReadSe();
        }
        r.ReadUe(); // max_num_ref_frames
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
        if (r.Overrun || widthMbs > 1024 || heightMapUnits > 1024) return null;
        var chromaArrayType = separateColourPlane ? 0u : chromaFormat;
        var cropUnitX = chromaArrayType == 0 ? 1u : chromaFormat == 3 ? 1u : 2u;
        var cropUnitY = (chromaArrayType == 0 ? 1u : chromaFormat == 1 ? 2u : 1u) * (2 - frameMbsOnly);
        var width = (int)(widthMbs * 16 - cropUnitX * (cropLeft + cropRight));
        var height = (int)((2 - frameMbsOnly) * heightMapUnits * 16 - cropUnitY * (cropTop + cropBottom));

        double? fps = null;
        if (r.ReadBit() == 1) fps = ReadVuiFrameRate(ref r);
        return width > 0 && height > 0 ? new H264Sps(profile, constraints, level, width, height, r.Overrun ? null : fps) : null;
    }

    private static double? ReadVuiFrameRate(ref BitReader r)
    {
        if (r.ReadBit() == 1) // aspect_ratio_info_present_flag
        {
            if (r.ReadBits(8) == 255) r.Skip(32);
        }
        if (r.ReadBit() == 1) r.ReadBit(); // overscan
        if (r.ReadBit() == 1) // video_signal_type_present_flag
        {
            r.Skip(4);
            if (r.ReadBit() == 1) r.Skip(24);
        }
        if (r.ReadBit() == 1) // chroma_loc_info_present_flag
        {
            r.ReadUe();
            r.ReadUe();
        }
        if (r.ReadBit() == 1) // timing_info_present_flag
        {
            var units = r.ReadBits(32);
            var scale = r.ReadBits(32);
            if (units > 0 && scale > 0) return scale / (2.0 * units);
        }
        return null;
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
