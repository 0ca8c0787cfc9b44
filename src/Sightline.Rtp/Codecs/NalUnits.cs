namespace Sightline.Rtp.Codecs;

/// <summary>Helpers for NAL units of H.264 and H.265.</summary>
public static class NalUnits
{
    /// <summary>Removes emulation-prevention bytes (00 00 03 → 00 00) to get the RBSP (H.264 §7.4.1).</summary>
    public static byte[] ToRbsp(ReadOnlySpan<byte> nal)
    {
        var result = new byte[nal.Length];
        var n = 0;
        var zeros = 0;
        foreach (var b in nal)
        {
            if (zeros >= 2 && b == 3)
            {
                zeros = 0;
                continue;
            }
            zeros = b == 0 ? zeros + 1 : 0;
            result[n++] = b;
        }
        return result.AsSpan(0, n).ToArray();
    }

    /// <summary>Iterates the NAL units of a 4-byte length-prefixed access unit.</summary>
    public static bool TryNext(ref ReadOnlySpan<byte> accessUnit, out ReadOnlySpan<byte> nal)
    {
        nal = default;
        if (accessUnit.Length < 4) return false;
        var length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(accessUnit);
        if (length < 0 || length > accessUnit.Length - 4) return false;
        nal = accessUnit.Slice(4, length);
        accessUnit = accessUnit[(4 + length)..];
        return true;
    }

    /// <summary>Splits an Annex B byte stream (00 00 01 / 00 00 00 01 start codes) into NAL units.</summary>
    public static List<byte[]> SplitAnnexB(ReadOnlySpan<byte> stream)
    {
        var result = new List<byte[]>();
        var i = 0;
        var start = -1;
        while (i + 2 < stream.Length)
        {
            if (stream[i] == 0 && stream[i + 1] == 0 && stream[i + 2] == 1)
            {
                if (start >= 0)
                {
                    var end = i;
                    while (end > start && stream[end - 1] == 0) end--;
                    if (end > start) result.Add(stream[start..end].ToArray());
                }
                i += 3;
                start = i;
                continue;
            }
            i++;
        }
        if (start >= 0 && start < stream.Length) result.Add(stream[start..].ToArray());
        return result;
    }

    /// <summary>A 4-byte length-prefixed access unit as an Annex B stream (4-byte start codes), for FFmpeg's decoders.</summary>
    public static byte[] ToAnnexB(ReadOnlySpan<byte> lengthPrefixed)
    {
        var result = new byte[lengthPrefixed.Length];
        var o = 0;
        var rest = lengthPrefixed;
        while (TryNext(ref rest, out var nal))
        {
            result[o + 3] = 1;
            nal.CopyTo(result.AsSpan(o + 4));
            o += 4 + nal.Length;
        }
        return o == result.Length ? result : result[..o];
    }

    /// <summary>An Annex B stream as a 4-byte length-prefixed access unit (the MP4 and RTP-depacketizer form).</summary>
    public static byte[] ToLengthPrefixed(ReadOnlySpan<byte> annexB)
    {
        var nals = SplitAnnexB(annexB);
        var result = new byte[nals.Sum(n => n.Length + 4)];
        var o = 0;
        foreach (var nal in nals)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(result.AsSpan(o), (uint)nal.Length);
            nal.CopyTo(result, o + 4);
            o += 4 + nal.Length;
        }
        return result;
    }

    /// <summary>The parameter sets of a length-prefixed access unit: SPS and PPS (H.264), or VPS, SPS and PPS (H.265).</summary>
    public static List<byte[]> ParameterSets(ReadOnlySpan<byte> lengthPrefixed, bool h265)
    {
        var sets = new List<byte[]>();
        var rest = lengthPrefixed;
        while (TryNext(ref rest, out var nal))
        {
            if (nal.Length == 0) continue;
            var isSet = h265 ? (nal[0] >> 1 & 0x3f) is 32 or 33 or 34 : (nal[0] & 0x1f) is 7 or 8;
            if (isSet) sets.Add(nal.ToArray());
        }
        return sets;
    }
}
