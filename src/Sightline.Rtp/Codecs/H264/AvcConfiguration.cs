namespace Sightline.Rtp.Codecs.H264;

/// <summary>
/// An AVCDecoderConfigurationRecord (<c>avcC</c>, ISO/IEC 14496-15 §5.3.3.1), as MP4, MKV and FLV carry H.264's parameter
/// sets: the size of the NAL length prefixes of the samples, and the SPS and PPS NAL units.
/// </summary>
public sealed record AvcConfiguration(int LengthSize, IReadOnlyList<byte[]> Sps, IReadOnlyList<byte[]> Pps)
{
    /// <summary>False when the bytes are not a whole version-1 record (then the caller tries Annex B).</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out AvcConfiguration? config)
    {
        config = null;
        // configurationVersion(8)=1 profile(8) compatibility(8) level(8) reserved(6) lengthSizeMinusOne(2) reserved(3) numOfSPS(5)
        if (data.Length < 7 || data[0] != 1) return false;
        var lengthSize = (data[4] & 3) + 1;
        if (lengthSize == 3) return false; // 3 is not allowed (§5.3.3.1.2)
        var offset = 5;
        if (!ReadSets(data, ref offset, data[offset++] & 0x1f, out var sps)) return false;
        if (offset >= data.Length) return false;
        if (!ReadSets(data, ref offset, data[offset++], out var pps)) return false;
        config = new AvcConfiguration(lengthSize, sps, pps);
        return true;
    }

    // count × (length(16) NAL unit)
    internal static bool ReadSets(ReadOnlySpan<byte> data, ref int offset, int count, out List<byte[]> sets)
    {
        sets = [];
        for (var i = 0; i < count; i++)
        {
            if (offset + 2 > data.Length) return false;
            var length = data[offset] << 8 | data[offset + 1];
            offset += 2;
            if (length == 0 || offset + length > data.Length) return false;
            sets.Add(data.Slice(offset, length).ToArray());
            offset += length;
        }
        return true;
    }
}
