namespace Sightline.Rtp.Codecs.Aac;

/// <summary>
/// The header of an ADTS frame (ISO/IEC 13818-7 §6.2 / 14496-3 §1.A.2.2), as MPEG-TS carries AAC: object type, sampling
/// frequency and channels (enough for an AudioSpecificConfig) and where the raw frame is.
/// </summary>
public readonly record struct AdtsHeader(int ObjectType, int FrequencyIndex, int ChannelConfiguration, int HeaderLength, int FrameLength, int RawBlocks)
{
    private static readonly int[] Rates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

    public int SampleRate => Rates[FrequencyIndex];

    /// <summary>Starts with the ADTS sync word (12 ones).</summary>
    public static bool StartsWithSync(ReadOnlySpan<byte> data) => data.Length >= 2 && data[0] == 0xff && (data[1] & 0xf0) == 0xf0;

    /// <summary>Reads the header at the start of <paramref name="data"/>; false when it is not a whole, valid ADTS frame.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out AdtsHeader header)
    {
        header = default;
        // syncword(12) ID(1) layer(2) protection_absent(1) profile(2) sampling_frequency_index(4) private(1)
        // channel_configuration(3) original(1) home(1) | copyright_id_bit(1) copyright_id_start(1) frame_length(13)
        // buffer_fullness(11) number_of_raw_data_blocks_in_frame(2) [crc_check(16) when protection_absent = 0]
        if (data.Length < 7 || !StartsWithSync(data) || (data[1] & 0x06) != 0) return false;
        var protectionAbsent = data[1] & 1;
        var profile = data[2] >> 6;
        var frequency = (data[2] >> 2) & 0x0f;
        var channels = (data[2] & 1) << 2 | data[3] >> 6;
        var frameLength = (data[3] & 3) << 11 | data[4] << 3 | data[5] >> 5;
        var blocks = (data[6] & 3) + 1;
        var headerLength = protectionAbsent == 1 ? 7 : 9;
        if (frequency >= Rates.Length || frameLength < headerLength || frameLength > data.Length) return false;
        header = new AdtsHeader(profile + 1, frequency, channels, headerLength, frameLength, blocks);
        return true;
    }

    /// <summary>The 2-byte AudioSpecificConfig this header implies (ISO/IEC 14496-3 §1.6.2.1): objectType, frequency, channels.</summary>
    public byte[] ToAudioSpecificConfig() =>
        [(byte)(ObjectType << 3 | FrequencyIndex >> 1), (byte)((FrequencyIndex & 1) << 7 | ChannelConfiguration << 3)];
}
