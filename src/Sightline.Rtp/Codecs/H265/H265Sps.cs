namespace Sightline.Rtp.Codecs.H265;

/// <summary>
/// Profile, level, picture size and the decoded-picture-buffer limits of the highest sub-layer from an H.265 sequence
/// parameter set (H.265 §7.3.2.2).
/// </summary>
public sealed record H265Sps(int ProfileIdc, int LevelIdc, int Width, int Height)
{
    /// <summary><c>sps_max_num_reorder_pics[HighestTid]</c> (§7.4.3.2.1): pictures that may precede one in decode order and follow it in output order.</summary>
    public int? MaxNumReorderPics { get; init; }
    /// <summary><c>sps_max_dec_pic_buffering_minus1[HighestTid] + 1</c>.</summary>
    public int? MaxDecPicBuffering { get; init; }
    public int Log2MaxPicOrderCntLsb { get; init; } = 4;

    public string ProfileName => ProfileIdc switch
    {
        1 => "Main",
        2 => "Main 10",
        3 => "Main Still Picture",
        4 => "Range Extensions",
        _ => $"profile {ProfileIdc}",
    };

    /// <summary>Parses an SPS NAL unit (with its 2-byte header); null when unreadable.</summary>
    public static H265Sps? Parse(ReadOnlySpan<byte> nal)
    {
        if (nal.Length < 6 || (nal[0] >> 1 & 0x3f) != 33) return null;
        var rbsp = NalUnits.ToRbsp(nal[2..]);
        var r = new BitReader(rbsp);
        r.Skip(4); // sps_video_parameter_set_id
        var maxSubLayersMinus1 = (int)r.ReadBits(3);
        r.Skip(1); // temporal_id_nesting
        // profile_tier_level(1, maxSubLayersMinus1)
        r.Skip(2 + 1); // general_profile_space, tier
        var profile = (int)r.ReadBits(5);
        r.Skip(32 + 4 + 43 + 1); // compatibility flags, source flags, reserved, inbld
        var level = (int)r.ReadBits(8);
        var subProfilePresent = new bool[8];
        var subLevelPresent = new bool[8];
        for (var i = 0; i < maxSubLayersMinus1; i++)
        {
            subProfilePresent[i] = r.ReadBit() == 1;
            subLevelPresent[i] = r.ReadBit() == 1;
        }
        if (maxSubLayersMinus1 > 0)
        {
            for (var i = maxSubLayersMinus1; i < 8; i++) r.Skip(2);
        }
        for (var i = 0; i < maxSubLayersMinus1; i++)
        {
            if (subProfilePresent[i]) r.Skip(88);
            if (subLevelPresent[i]) r.Skip(8);
        }
        r.ReadUe(); // sps_seq_parameter_set_id
        var chromaFormat = r.ReadUe();
        if (chromaFormat == 3) r.ReadBit();
        var width = r.ReadUe();
        var height = r.ReadUe();
        if (r.ReadBit() == 1) // conformance_window_flag
        {
            var subW = chromaFormat is 1 or 2 ? 2u : 1u;
            var subH = chromaFormat == 1 ? 2u : 1u;
            var left = r.ReadUe();
            var right = r.ReadUe();
            var top = r.ReadUe();
            var bottom = r.ReadUe();
            width -= subW * (left + right);
            height -= subH * (top + bottom);
        }
        if (r.Overrun || width == 0 || height == 0 || width > 16384 || height > 16384) return null;
        var sps = new H265Sps(profile, level, (int)width, (int)height);
        r.ReadUe(); // bit_depth_luma_minus8
        r.ReadUe(); // bit_depth_chroma_minus8
        var log2MaxPocLsb = r.ReadUe() + 4;
        var orderingInfoForEachSubLayer = r.ReadBit() == 1;
        uint buffering = 0, reorder = 0;
        // Without per-sub-layer info the one set given applies to every sub-layer, HighestTid included (§7.4.3.2.1).
        for (var i = orderingInfoForEachSubLayer ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++)
        {
            buffering = r.ReadUe() + 1; // sps_max_dec_pic_buffering_minus1
            reorder = r.ReadUe(); // sps_max_num_reorder_pics
            r.ReadUe(); // sps_max_latency_increase_plus1
        }
        // sps_max_num_reorder_pics ≤ sps_max_dec_pic_buffering_minus1 ≤ 15; outside that the fields are not trusted.
        if (r.Overrun || log2MaxPocLsb > 16 || buffering > 16 || reorder >= buffering) return sps;
        return sps with { MaxNumReorderPics = (int)reorder, MaxDecPicBuffering = (int)buffering, Log2MaxPicOrderCntLsb = (int)log2MaxPocLsb };
    }
}
