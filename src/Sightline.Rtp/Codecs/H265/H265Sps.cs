namespace Sightline.Rtp.Codecs.H265;

/// <summary>Profile, level and picture size from an H.265 sequence parameter set (H.265 §7.3.2.2).</summary>
public sealed record H265Sps(int ProfileIdc, int LevelIdc, int Width, int Height)
{
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
        return new H265Sps(profile, level, (int)width, (int)height);
    }
}
