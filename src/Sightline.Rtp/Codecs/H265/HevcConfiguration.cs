using Sightline.Rtp.Codecs.H264;

namespace Sightline.Rtp.Codecs.H265;

/// <summary>
/// An HEVCDecoderConfigurationRecord (<c>hvcC</c>, ISO/IEC 14496-15 §8.3.3.1), as MP4 and MKV carry H.265's parameter sets:
/// the size of the NAL length prefixes and the VPS, SPS and PPS NAL units (other arrays, such as SEI, are skipped).
/// </summary>
public sealed record HevcConfiguration(int LengthSize, IReadOnlyList<byte[]> Vps, IReadOnlyList<byte[]> Sps, IReadOnlyList<byte[]> Pps)
{
    private const int HeaderSize = 22;

    public static bool TryParse(ReadOnlySpan<byte> data, out HevcConfiguration? config)
    {
        config = null;
        // 22 bytes of profile, tier, level, chroma and frame-rate fields; lengthSizeMinusOne in the low bits of byte 21.
        if (data.Length < HeaderSize + 1 || data[0] != 1) return false;
        var lengthSize = (data[21] & 3) + 1;
        if (lengthSize == 3) return false;
        List<byte[]> vps = [], sps = [], pps = [];
        var offset = HeaderSize;
        int arrays = data[offset++];
        for (var a = 0; a < arrays; a++)
        {
            // array_completeness(1) reserved(1) NAL_unit_type(6) numNalus(16)
            if (offset + 3 > data.Length) return false;
            var type = data[offset] & 0x3f;
            var count = data[offset + 1] << 8 | data[offset + 2];
            offset += 3;
            if (!AvcConfiguration.ReadSets(data, ref offset, count, out var nals)) return false;
            (type switch { 32 => vps, 33 => sps, 34 => pps, _ => null })?.AddRange(nals);
        }
        config = new HevcConfiguration(lengthSize, vps, sps, pps);
        return true;
    }
}
