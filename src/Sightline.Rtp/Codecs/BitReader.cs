namespace Sightline.Rtp.Codecs;

/// <summary>Reads bits MSB-first, with Exp-Golomb codes (H.264 §9.1). Reading past the end sets <see cref="Overrun"/> and yields zeros.</summary>
public ref struct BitReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _bit;

    public BitReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _bit = 0;
    }

    public bool Overrun { get; private set; }
    public readonly int BitsLeft => _data.Length * 8 - _bit;
    /// <summary>Bits read (or skipped) so far.</summary>
    public readonly int Position => _bit;

    public uint ReadBits(int count)
    {
        uint value = 0;
        for (var i = 0; i < count; i++)
        {
            value = value << 1 | ReadBit();
        }
        return value;
    }

    public uint ReadBit()
    {
        if (_bit >= _data.Length * 8)
        {
            Overrun = true;
            return 0;
        }
        var b = (uint)(_data[_bit >> 3] >> (7 - (_bit & 7))) & 1;
        _bit++;
        return b;
    }

    public void Skip(int bits)
    {
        _bit += bits;
        if (_bit > _data.Length * 8) Overrun = true;
    }

    /// <summary>ue(v).</summary>
    public uint ReadUe()
    {
        var zeros = 0;
        while (ReadBit() == 0)
        {
            if (Overrun || ++zeros > 31) { Overrun = true; return 0; }
        }
        return zeros == 0 ? 0 : (1u << zeros) - 1 + ReadBits(zeros);
    }

    /// <summary>se(v).</summary>
    public int ReadSe()
    {
        var k = ReadUe();
        return (k & 1) != 0 ? (int)((k + 1) / 2) : -(int)(k / 2);
    }
}
