using Sightline.Rtp.Sdp;

namespace Sightline.Rtp.Tests.Sdp;

public class SessionDescriptionTests
{
    // DESCRIBE answer of GStreamer's RTSP server (H.264 + AAC), as received.
    private const string Gstreamer =
        "v=0\r\no=- 15135654606204735776 1 IN IP4 127.0.0.1\r\ns=Session streamed with GStreamer\r\ni=rtsp-server\r\nt=0 0\r\n" +
        "a=tool:GStreamer\r\na=type:broadcast\r\na=control:*\r\na=range:npt=now-\r\n" +
        "m=video 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\nb=AS:1024\r\na=rtpmap:96 H264/90000\r\na=framerate:25\r\n" +
        "a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0LAHtoCgPbAWoMDA1KAAAADAIAAABlHixdQ,aM48gA==;profile-level-id=42c01e;level-asymmetry-allowed=1\r\n" +
        "a=control:stream=0\r\na=ts-refclk:local\r\na=mediaclk:sender\r\na=ssrc:2201437383 cname:user431311062@host-296e0ab9\r\n" +
        "m=audio 0 RTP/AVP 97\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:97 MPEG4-GENERIC/48000/1\r\n" +
        "a=fmtp:97 streamtype=5;profile-level-id=2;mode=AAC-hbr;config=118856e500;sizelength=13;indexlength=3;indexdeltalength=3\r\n" +
        "a=control:stream=1\r\n";

    // A Hikvision-style description: LF line ends, absolute track control URLs, static payload type for G.711.
    private const string CameraStyle =
        "v=0\no=- 1 1 IN IP4 192.168.1.64\ns=Media Presentation\ne=NONE\nb=AS:5050\nt=0 0\na=control:rtsp://192.168.1.64:554/Streaming/Channels/101/?transportmode=unicast\n" +
        "m=video 0 RTP/AVP 96\nb=AS:5000\na=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast\na=rtpmap:96 H264/90000\n" +
        "a=fmtp:96 profile-level-id=420029; packetization-mode=1; sprop-parameter-sets=Z01AKI2NQDwBE/LCAAAOEAACvyAI,aO44gA==\n" +
        "m=audio 0 RTP/AVP 0\na=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=2?transportmode=unicast\n";

    [Fact]
    public void ParsesGstreamerDescription()
    {
        Assert.True(SessionDescription.TryParse(Gstreamer, out var sdp, out _));
        Assert.Equal("*", sdp!.Control);
        Assert.Equal(2, sdp.Media.Count);
        var video = sdp.Media[0];
        Assert.Equal(("video", "RTP/AVP"), (video.Media, video.Protocol));
        Assert.Equal(["96"], video.Formats);
        Assert.Equal(new RtpMap("H264", 90000, 1), video.RtpMap(96));
        Assert.Equal("1", video.Fmtp(96)["packetization-mode"]);
        Assert.Equal("Z0LAHtoCgPbAWoMDA1KAAAADAIAAABlHixdQ,aM48gA==", video.Fmtp(96)["sprop-parameter-sets"]);
        Assert.Equal("stream=0", video.Control);
        Assert.Equal(new RtpMap("MPEG4-GENERIC", 48000, 1), sdp.Media[1].RtpMap(97));
        Assert.Equal("AAC-hbr", sdp.Media[1].Fmtp(97)["mode"]);
    }

    [Fact]
    public void ParsesCameraStyle_WithStaticPayloadTypes_AndSpacesInFmtp()
    {
        Assert.True(SessionDescription.TryParse(CameraStyle, out var sdp, out _));
        Assert.Equal("Z01AKI2NQDwBE/LCAAAOEAACvyAI,aO44gA==", sdp!.Media[0].Fmtp(96)["sprop-parameter-sets"]);
        Assert.Equal(new RtpMap("PCMU", 8000, 1), sdp.Media[1].RtpMap(0));
        Assert.StartsWith("rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=2", sdp.Media[1].Control);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello world")]
    [InlineData("v=0\r\nm=video notaport RTP/AVP 96\r\n")]
    public void RejectsWhatIsNotSdp(string text)
    {
        Assert.False(SessionDescription.TryParse(text, out _, out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public void RejectsOversizedDescription()
    {
        Assert.False(SessionDescription.TryParse("v=0\n" + new string('a', SessionDescription.MaxLength), out _, out _));
    }
}
