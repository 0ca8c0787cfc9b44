using System.Buffers.Binary;
using Sightline.Rtp.Codecs;

namespace Sightline.Rtp.Tests.Codecs;

/// <summary>Writes bits MSB-first with Exp-Golomb codes (H.264 §9.1), to build parameter sets and slice headers by hand.</summary>
public sealed class BitWriter
{
    private readonly List<byte> _bytes = [];
    private int _bit;

    public BitWriter Bits(long value, int count)
    {
        for (var i = count - 1; i >= 0; i--) Bit((int)(value >> i & 1));
        return this;
    }

    public BitWriter Bit(int b)
    {
        if (_bit % 8 == 0) _bytes.Add(0);
        if (b != 0) _bytes[^1] |= (byte)(0x80 >> (_bit % 8));
        _bit++;
        return this;
    }

    public BitWriter Flag(bool b) => Bit(b ? 1 : 0);

    /// <summary>ue(v).</summary>
    public BitWriter Ue(uint value)
    {
        var v = value + 1UL;
        var length = 64 - (int)ulong.LeadingZeroCount(v);
        return Bits(0, length - 1).Bits((long)v, length);
    }

    /// <summary>se(v).</summary>
    public BitWriter Se(int value) => Ue(value > 0 ? (uint)(2 * value - 1) : (uint)(-2 * value));

    /// <summary>rbsp_trailing_bits() (§7.3.2.11), then emulation prevention (§7.4.1) behind the NAL header bytes.</summary>
    public byte[] ToNal(params byte[] header)
    {
        Bit(1);
        while (_bit % 8 != 0) Bit(0);
        var nal = new List<byte>(header);
        var zeros = 0;
        foreach (var b in _bytes)
        {
            if (zeros >= 2 && b <= 3)
            {
                nal.Add(3);
                zeros = 0;
            }
            nal.Add(b);
            zeros = b == 0 ? zeros + 1 : 0;
        }
        return [.. nal];
    }

    /// <summary>NAL units as one access unit of 4-byte length-prefixed NAL units.</summary>
    public static byte[] AccessUnit(params byte[][] nals)
    {
        var au = new byte[nals.Sum(n => 4 + n.Length)];
        var o = 0;
        foreach (var nal in nals)
        {
            BinaryPrimitives.WriteUInt32BigEndian(au.AsSpan(o), (uint)nal.Length);
            nal.CopyTo(au, o + 4);
            o += 4 + nal.Length;
        }
        return au;
    }

    /// <summary>Copies an ue(v) from <paramref name="r"/>, returning it.</summary>
    public uint CopyUe(ref BitReader r)
    {
        var v = r.ReadUe();
        Ue(v);
        return v;
    }

    public uint CopyBits(ref BitReader r, int count)
    {
        var v = r.ReadBits(count);
        Bits(v, count);
        return v;
    }
}
