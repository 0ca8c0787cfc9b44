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

    /// <summary>
    /// As <see cref="ToRbsp(ReadOnlySpan{byte})"/> into <paramref name="destination"/>, stopping when it is full (enough
    /// for a slice header's first fields); returns the bytes written. No allocation.
    /// </summary>
    public static int ToRbsp(ReadOnlySpan<byte> nal, Span<byte> destination)
    {
        var n = 0;
        var zeros = 0;
        foreach (var b in nal)
        {
            if (n == destination.Length) break;
            if (zeros >= 2 && b == 3)
            {
                zeros = 0;
                continue;
            }
            zeros = b == 0 ? zeros + 1 : 0;
            destination[n++] = b;
        }
        return n;
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
        return result[..ToAnnexB(lengthPrefixed, result)];
    }

    /// <summary>As <see cref="ToAnnexB(ReadOnlySpan{byte})"/> into <paramref name="destination"/> (as long as the input
    /// is enough); returns the bytes written.</summary>
    public static int ToAnnexB(ReadOnlySpan<byte> lengthPrefixed, Span<byte> destination)
    {
        var o = 0;
        var rest = lengthPrefixed;
        while (TryNext(ref rest, out var nal))
        {
            destination.Slice(o, 4).Clear();
            destination[o + 3] = 1;
            nal.CopyTo(destination[(o + 4)..]);
            o += 4 + nal.Length;
        }
        return o;
    }

    /// <summary>An Annex B stream as a 4-byte length-prefixed access unit (the MP4 and RTP-depacketizer form).</summary>
    public static byte[] ToLengthPrefixed(ReadOnlySpan<byte> annexB)
    {
        // A 3-byte start code becomes a 4-byte length: at most one byte more per unit, and a unit is at least 4 bytes.
        var result = new byte[annexB.Length + annexB.Length / 4 + 4];
        return result[..ToLengthPrefixed(annexB, result)];
    }

    /// <summary>As <see cref="ToLengthPrefixed(ReadOnlySpan{byte})"/> into <paramref name="destination"/> (input length
    /// plus a quarter is enough); returns the bytes written. No allocation.</summary>
    public static int ToLengthPrefixed(ReadOnlySpan<byte> annexB, Span<byte> destination)
    {
        var o = 0;
        var start = -1;
        var i = 0;
        while (i + 2 < annexB.Length)
        {
            if (annexB[i] == 0 && annexB[i + 1] == 0 && annexB[i + 2] == 1)
            {
                if (start >= 0) o += Put(annexB, start, i, destination[o..]);
                i += 3;
                start = i;
                continue;
            }
            i++;
        }
        if (start >= 0 && start < annexB.Length) o += Put(annexB, start, annexB.Length, destination[o..]);
        return o;

        // One unit, without the zeros a 4-byte start code leaves before the next one.
        static int Put(ReadOnlySpan<byte> s, int start, int end, Span<byte> d)
        {
            if (end < s.Length) while (end > start && s[end - 1] == 0) end--;
            if (end <= start) return 0;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(d, (uint)(end - start));
            s[start..end].CopyTo(d[4..]);
            return 4 + end - start;
        }
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
