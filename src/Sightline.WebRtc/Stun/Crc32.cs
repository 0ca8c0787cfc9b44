namespace Sightline.WebRtc.Stun;

/// <summary>CRC-32 (ISO 3309 / ITU-T V.42, the one STUN's FINGERPRINT uses, RFC 5389 §15.5).</summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xffffffffu;
        foreach (var b in data) crc = Table[(crc ^ b) & 0xff] ^ crc >> 8;
        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xedb88320 ^ c >> 1 : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
