using Sightline.Rtp.Codecs.H264;

namespace Sightline.Rtp.Tests.Codecs;

/// <summary>profile-level-id as RFC 6184 §8.1 and H.264 Annex A define it, read as libwebrtc reads it.</summary>
public class H264ProfileTests
{
    [Theory]
    [InlineData("42e01f", H264ProfileKind.ConstrainedBaseline, 31)]
    [InlineData("42c01f", H264ProfileKind.ConstrainedBaseline, 31)]
    [InlineData("42001f", H264ProfileKind.Baseline, 31)]
    [InlineData("4d001f", H264ProfileKind.Main, 31)]
    [InlineData("4d8028", H264ProfileKind.ConstrainedBaseline, 40)] // Main with constraint_set0: obeys Baseline's constraints
    [InlineData("640c1f", H264ProfileKind.ConstrainedHigh, 31)]
    [InlineData("640028", H264ProfileKind.High, 40)]
    [InlineData("f4001f", H264ProfileKind.PredictiveHigh444, 31)]
    [InlineData("6e0028", H264ProfileKind.Other, 40)] // High 10: not a WebRTC profile
    public void ProfileLevelId_IsReadAsProfileAndLevel(string text, H264ProfileKind kind, int level)
    {
        Assert.True(H264Profile.TryParse(text, out var p));
        Assert.Equal(kind, p.Kind);
        Assert.Equal(level, p.LevelIdc);
        Assert.Equal(text, p.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("42e01")]
    [InlineData("42e01fa")]
    [InlineData("zz0000")]
    public void Malformed_ProfileLevelId_IsRefused(string? text) => Assert.False(H264Profile.TryParse(text, out _));

    [Theory]
    // decoder, stream, decodes
    [InlineData("42e01f", "42e01f", true)]
    [InlineData("42e01f", "4d001f", false)] // a Constrained Baseline decoder (OpenH264, many phones) has no CABAC
    [InlineData("42e01f", "640028", false)]
    [InlineData("42001f", "42e01f", true)]
    [InlineData("4d001f", "42e01f", true)] // every H.264 decoder takes Constrained Baseline
    [InlineData("4d001f", "640028", false)]
    [InlineData("640c1f", "640028", false)] // Constrained High has no B slices nor interlace
    [InlineData("640c1f", "42e01f", true)]
    [InlineData("64001f", "4d0028", true)] // a High decoder takes Main (§A.2.4)
    [InlineData("64001f", "640c1f", true)]
    [InlineData("f4001f", "640032", true)] // a High 4:4:4 decoder takes High (§A.2.6)
    [InlineData("f4001f", "4d001f", true)]
    [InlineData("64001f", "6e0028", false)]
    public void Decoder_TakesTheProfilesAnnexA_RequiresItTo(string decoder, string stream, bool decodes)
    {
        H264Profile.TryParse(decoder, out var d);
        H264Profile.TryParse(stream, out var s);
        Assert.Equal(decodes, d.Decodes(s));
    }

    [Theory]
    [InlineData(320, 240, 25, 31)] // floor: 3.1, what browsers offer
    [InlineData(1280, 720, 30, 31)]
    [InlineData(1280, 720, 60, 32)]
    [InlineData(1920, 1080, 25, 40)]
    [InlineData(2560, 1440, 25, 50)]
    [InlineData(3840, 2160, 25, 51)]
    [InlineData(0, 0, 25, 31)]
    public void Level_IsTheLowestThatTakesThePicture(int width, int height, double fps, int level) =>
        Assert.Equal(level, H264Profile.LevelFor(width, height, fps));
}
