using Sightline.Media.Negotiation;
using Sightline.Media.Transcoding;
using Sightline.Rtp.Packetization;
using Sightline.WebRtc.Sdp;

namespace Sightline.Media.Tests;

/// <summary>What each viewer gets of a camera's video, from real browsers' offers (Captures/).</summary>
public class ViewerVideoTests
{
    private static readonly LadderOptions Ladder = new();
    private static OfferedMedia VideoOf(string capture) =>
        RemoteOffer.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Captures", capture))).Media.Single(m => m.Kind == "video");
    private static OfferedMedia Chromium => VideoOf("chromium-156-recvonly-offer.sdp");
    private static OfferedMedia Firefox => VideoOf("firefox-esr-153-recvonly-offer.sdp");

    [Fact]
    public void Chromium_TakesAnH264CamerasOwnStream()
    {
        var v = ViewerVideo.Choose(Chromium, new CameraVideo(MediaCodec.H264, "42e01f", Width: 640, Height: 480), canTranscode: true, Ladder, out _)!;
        Assert.True(v.Passthrough);
        Assert.Equal(MediaCodec.H264, v.Codec);
        Assert.Equal("42e01f", v.AnswerFmtp["profile-level-id"]);
    }

    [Fact]
    public void Chromium_TakesAHighCamerasOwnStream_AnnouncedAsHigh()
    {
        var v = ViewerVideo.Choose(Chromium, new CameraVideo(MediaCodec.H264, "640028", Width: 1920, Height: 1080), canTranscode: true, Ladder, out _)!;
        Assert.True(v.Passthrough);
        Assert.Equal("640028", v.AnswerFmtp["profile-level-id"]);
        Assert.Equal("1", v.AnswerFmtp["packetization-mode"]);
        Assert.Equal("f4001f", v.Offered.Fmtp["profile-level-id"]); // carried on the payload type whose decoder takes High
    }

    [Fact]
    public void FirefoxWithoutH264_GetsAnH264CameraReencodedToVp8()
    {
        var v = ViewerVideo.Choose(Firefox, new CameraVideo(MediaCodec.H264, "42e01f", Width: 640, Height: 480), canTranscode: true, Ladder, out _)!;
        Assert.False(v.Passthrough);
        Assert.Equal(MediaCodec.VP8, v.Codec);
        Assert.Equal("VP8", v.Offered.Name);
        Assert.Contains("re-encoded to VP8", v.Reason);
    }

    [Fact]
    public void Firefox_TakesAVp8CamerasOwnStream() =>
        Assert.True(ViewerVideo.Choose(Firefox, new CameraVideo(MediaCodec.VP8), canTranscode: true, Ladder, out _)!.Passthrough);

    [Theory]
    [InlineData(MediaCodec.H265)]
    [InlineData(MediaCodec.MJPEG)]
    public void CodecsBrowsersCannotDecode_AreReencoded_H264ForChromium_Vp8ForFirefox(MediaCodec codec)
    {
        var chromium = ViewerVideo.Choose(Chromium, new CameraVideo(codec, Width: 1280, Height: 720), canTranscode: true, Ladder, out _)!;
        Assert.Equal(MediaCodec.H264, chromium.Codec);
        Assert.False(chromium.Passthrough);
        Assert.Equal("42e01f", chromium.AnswerFmtp["profile-level-id"]); // Constrained Baseline, level 3.1 for 720p25
        Assert.Equal(MediaCodec.VP8, ViewerVideo.Choose(Firefox, new CameraVideo(codec), canTranscode: true, Ladder, out _)!.Codec);
    }

    [Fact]
    public void ReencodedH264_AnnouncesTheLevelOfTheCamerasSize()
    {
        var v = ViewerVideo.Choose(Chromium, new CameraVideo(MediaCodec.H265, Width: 1920, Height: 1080), canTranscode: true, Ladder, out _)!;
        Assert.Equal("42e028", v.AnswerFmtp["profile-level-id"]);
    }

    [Fact]
    public void ReorderingCamera_IsReencodedEvenForABrowserThatDecodesItsProfile()
    {
        var v = ViewerVideo.Choose(Chromium, new CameraVideo(MediaCodec.H264, "4d0028", Reorders: true, Width: 1280, Height: 720), canTranscode: true, Ladder, out _)!;
        Assert.False(v.Passthrough);
        Assert.Equal(MediaCodec.H264, v.Codec);
        Assert.StartsWith("42e0", v.AnswerFmtp["profile-level-id"]);
        Assert.Contains("B-frames", v.Reason);
    }

    [Fact]
    public void AViewerOfferingNeitherH264NorVp8_IsRefusedWithTheReason()
    {
        var vp9Only = new OfferedMedia("video", "1", "recvonly", Firefox.Codecs.Where(c => c.Name is not "VP8").ToList(), new Dictionary<string, int>());
        Assert.Null(ViewerVideo.Choose(vp9Only, new CameraVideo(MediaCodec.H264, "42e01f"), canTranscode: true, Ladder, out var why));
        Assert.Contains("offers no video codec Sightline can send", why);
        Assert.Contains("VP9", why);
        Assert.Contains("AV1", why);
    }

    [Fact]
    public void WithoutTheFfmpegLayer_AViewerNeedingReencoding_IsRefusedWithTheReason()
    {
        Assert.Null(ViewerVideo.Choose(Firefox, new CameraVideo(MediaCodec.H264, "42e01f"), canTranscode: false, Ladder, out var why));
        Assert.Contains("the viewer offers no H264", why);
        Assert.Contains("re-encoding is not available", why);
        // A viewer that takes the camera's own stream does not need it.
        Assert.NotNull(ViewerVideo.Choose(Chromium, new CameraVideo(MediaCodec.H264, "42e01f"), canTranscode: false, Ladder, out _));
    }
}
