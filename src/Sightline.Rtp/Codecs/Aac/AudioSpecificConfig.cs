namespace Sightline.Rtp.Codecs.Aac;

/// <summary>MPEG-4 AudioSpecificConfig (ISO 14496-3 §1.6.2.1): object type, sample rate, channels.</summary>
public sealed record AudioSpecificConfig(int ObjectType, int SampleRate, int Channels, byte[] Raw)
{
    private static readonly int[] Rates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

    public static AudioSpecificConfig? Parse(ReadOnlySpan<byte> data)
    {
        var r = new BitReader(data);
        var config = Read(ref r, out _);
        return config is null ? null : config with { Raw = data.ToArray() };
    }

    /// <summary>Reads one from a bit stream (also used inside LATM's StreamMuxConfig); <paramref name="bitsRead"/> is its size.</summary>
    internal static AudioSpecificConfig? Read(ref BitReader r, out int bitsRead)
    {
        var before = r.BitsLeft;
        var type = (int)r.ReadBits(5);
        if (type == 31) type = 32 + (int)r.ReadBits(6);
        var index = (int)r.ReadBits(4);
        var rate = index == 15 ? (int)r.ReadBits(24) : index < Rates.Length ? Rates[index] : 0;
        var channels = (int)r.ReadBits(4);
        if (type is 5 or 29) // SBR/PS: the extension sample rate and the real object type follow
        {
            var extIndex = (int)r.ReadBits(4);
            rate = extIndex == 15 ? (int)r.ReadBits(24) : extIndex < Rates.Length ? Rates[extIndex] : rate;
            type = (int)r.ReadBits(5);
        }
        if (type is 1 or 2 or 3 or 4 or 6 or 7) r.Skip(3); // GASpecificConfig: frameLength, dependsOnCore, extension flags
        bitsRead = before - r.BitsLeft;
        if (r.Overrun || rate == 0 || type == 0) return null;
        return new AudioSpecificConfig(type, rate, channels == 0 ? 2 : channels, []);
    }

    public static byte[] FromHex(string hex)
    {
        try
        {
            return Convert.FromHexString(hex.Length % 2 == 1 ? "0" + hex : hex);
        }
        catch (FormatException)
        {
            return [];
        }
    }
}
