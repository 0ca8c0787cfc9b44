using Sightline.WebRtc.Srtp;

namespace Sightline.WebRtc.Tests.Srtp;

public class Rfc7714Tests
{
    [Fact]
    public void GcmIv_MatchesRfc7714_Section16_1()
    {
        // Salt "Quid pro quo", SSRC 0x5501a0b2, ROC 0, SEQ 0xf17b → IV 51753c6580c2726f20718414.
        var iv = new byte[12];
        SrtpContext.GcmIv(iv, Convert.FromHexString("517569642070726f2071756f"), 0x5501a0b2, 0, 0xf17b);
        Assert.Equal(Convert.FromHexString("51753c6580c2726f20718414"), iv);
    }

    [Fact]
    public void GcmIv_CarriesTheRolloverCounter()
    {
        var iv = new byte[12];
        SrtpContext.GcmIv(iv, new byte[12], 1, 0x01020304, 5);
        Assert.Equal(Convert.FromHexString("000000000001010203040005"), iv);
    }
}
