using Sightline.Rtp.Codecs;
using Sightline.Rtp.Codecs.Aac;
using Sightline.Rtp.Codecs.H264;

namespace Sightline.Rtp.Tests.Codecs;

public class ParameterSetTests
{
    [Fact]
    public void CameraSps_1080p_MainProfile_WithCropping()
    {
        // Hikvision-style Main profile SPS for 1920x1080 (coded 1920x1088, cropped by 8 lines).
        var sps = H264Sps.Parse(Convert.FromBase64String("Z01AKI2NQDwBE/LCAAAOEAACvyAI"));
        Assert.NotNull(sps);
        Assert.Equal((1920, 1080, "Main"), (sps!.Width, sps.Height, sps.ProfileName));
    }

    [Fact]
    public void TruncatedSps_IsNull_NotAnException()
    {
        var full = Convert.FromBase64String("Z0LAHtoCgPbAWoMDA1KAAAADAIAAABlHixdQ");
        for (var n = 0; n < full.Length - 6; n++)
        {
            var sps = H264Sps.Parse(full.AsSpan(0, n));
            Assert.True(sps is null || sps.Width > 0);
        }
    }

    [Fact]
    public void EmulationPrevention_IsRemoved_H264_7_4_1()
    {
        Assert.Equal(new byte[] { 0, 0, 1, 0, 0, 2 }, NalUnits.ToRbsp([0, 0, 3, 1, 0, 0, 3, 2]));
    }

    [Fact]
    public void AudioSpecificConfig_AacLc_48kHz_Mono()
    {
        var asc = AudioSpecificConfig.Parse(Convert.FromHexString("1188"));
        Assert.Equal((2, 48000, 1), (asc!.ObjectType, asc.SampleRate, asc.Channels));
    }

    [Fact]
    public void ExpGolomb_ReadsUeAndSe_H264_9_1()
    {
        // 1 | 010 | 011 | 00100 | 00101 → ue 0,1,2,3 then se(4) = -2
        var r = new BitReader([0b1010_0110, 0b0100_0010, 0b1000_0000]);
        Assert.Equal(0u, r.ReadUe());
        Assert.Equal(1u, r.ReadUe());
        Assert.Equal(2u, r.ReadUe());
        Assert.Equal(3u, r.ReadUe());
        Assert.Equal(-2, r.ReadSe());
        Assert.False(r.Overrun);
    }
}
