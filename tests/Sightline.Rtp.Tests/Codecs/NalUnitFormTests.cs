using Sightline.Rtp.Codecs;

namespace Sightline.Rtp.Tests.Codecs;

public sealed class NalUnitFormTests
{
    // SPS, PPS and an IDR slice header of H.264 (ITU-T H.264 §7.3; nal_unit_type 7, 8, 5), with an emulation byte.
    private static readonly byte[] Sps = [0x67, 0x42, 0xC0, 0x1E, 0x00, 0x00, 0x03, 0x01];
    private static readonly byte[] Pps = [0x68, 0xCE, 0x3C, 0x80];
    private static readonly byte[] Idr = [0x65, 0x88, 0x84, 0x00, 0x33];

    private static byte[] Prefixed(params byte[][] nals) =>
        [.. nals.SelectMany(n => new byte[] { 0, 0, (byte)(n.Length >> 8), (byte)n.Length }.Concat(n))];

    [Fact]
    public void LengthPrefixed_ToAnnexB_AndBack_IsTheSame()
    {
        var au = Prefixed(Sps, Pps, Idr);
        var annexB = NalUnits.ToAnnexB(au);
        Assert.Equal([0, 0, 0, 1, .. Sps, 0, 0, 0, 1, .. Pps, 0, 0, 0, 1, .. Idr], annexB);
        Assert.Equal(au, NalUnits.ToLengthPrefixed(annexB));
    }

    [Fact]
    public void ThreeByteStartCodes_AreReadToo()
    {
        byte[] annexB = [0, 0, 1, .. Sps, 0, 0, 1, .. Idr];
        Assert.Equal(Prefixed(Sps, Idr), NalUnits.ToLengthPrefixed(annexB));
    }

    [Fact]
    public void ParameterSets_AreFoundByType()
    {
        var sets = NalUnits.ParameterSets(Prefixed(Sps, Pps, Idr), h265: false);
        Assert.Equal([Sps, Pps], sets);
        // H.265: VPS 32, SPS 33, PPS 34 in bits 1..6 of the first header byte; an IDR_W_RADL (19) is not one.
        byte[] vps = [0x40, 0x01, 0x0C], sps = [0x42, 0x01, 0x01], pps = [0x44, 0x01, 0xC1], idr = [0x26, 0x01, 0xAF];
        Assert.Equal([vps, sps, pps], NalUnits.ParameterSets(Prefixed(vps, sps, pps, idr), h265: true));
    }

    [Fact]
    public void TruncatedLength_StopsWithoutThrowing()
    {
        byte[] au = [0, 0, 0, 9, 0x65, 0x88];
        Assert.Empty(NalUnits.ToAnnexB(au));
        Assert.Empty(NalUnits.ParameterSets(au, h265: false));
    }
}
