using Sightline.Rtsp.Auth;
using Sightline.Rtsp.Client;
using Sightline.Rtsp.Headers;

namespace Sightline.Rtsp.Tests.Auth;

public class AuthTests
{
    [Fact]
    public void DigestResponse_MatchesRfc2617_3_5()
    {
        var response = RtspAuthenticator.DigestResponse("Mufasa", "testrealm@host.com", "Circle Of Life", "GET", "/dir/index.html",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b");
        Assert.Equal("6629fae49393a05397450978507c4ef1", response);
    }

    [Fact]
    public void Digest_IsPreferredOverBasic_AndHeaderCarriesQop()
    {
        var auth = new RtspAuthenticator(new Credentials("admin", "pa ss"));
        Assert.True(auth.Accept(["Basic realm=\"cam\"", "Digest realm=\"cam\", nonce=\"n1\", qop=\"auth\", opaque=\"o\""]));
        var header = auth.Authorize("DESCRIBE", "rtsp://cam/live")!;
        Assert.StartsWith("Digest username=\"admin\", realm=\"cam\", nonce=\"n1\", uri=\"rtsp://cam/live\", response=\"", header);
        Assert.Contains("qop=auth, nc=00000001", header);
        Assert.Contains("opaque=\"o\"", header);
        Assert.Contains("nc=00000002", auth.Authorize("PLAY", "rtsp://cam/live"));
    }

    [Fact]
    public void Digest_WithoutQop_UsesRfc2069Form()
    {
        var auth = new RtspAuthenticator(new Credentials("u", "p"));
        auth.Accept(["Digest realm=\"r\", nonce=\"n\""]);
        var expected = RtspAuthenticator.DigestResponse("u", "r", "p", "OPTIONS", "rtsp://h/x", "n", null, null);
        Assert.Contains($"response=\"{expected}\"", auth.Authorize("OPTIONS", "rtsp://h/x"));
        Assert.DoesNotContain("qop", auth.Authorize("OPTIONS", "rtsp://h/x"));
    }

    [Fact]
    public void NewNonce_RestartsTheCount_AndStaleIsRecognised()
    {
        var auth = new RtspAuthenticator(new Credentials("u", "p"));
        auth.Accept(["Digest realm=\"r\", nonce=\"n1\", qop=\"auth\""]);
        auth.Authorize("OPTIONS", "x");
        auth.Authorize("OPTIONS", "x");
        Assert.True(RtspAuthenticator.IsStale(["Digest realm=\"r2\", nonce=\"n2\", qop=\"auth\", stale=TRUE"]));
        auth.Accept(["Digest realm=\"r2\", nonce=\"n2\", qop=\"auth\", stale=TRUE"]);
        var header = auth.Authorize("OPTIONS", "x")!;
        Assert.Contains("realm=\"r2\"", header);
        Assert.Contains("nc=00000001", header);
    }

    [Fact]
    public void Basic_EncodesUserAndPassword_Rfc7617()
    {
        var auth = new RtspAuthenticator(new Credentials("Aladdin", "open sesame"));
        auth.Accept(["Basic realm=\"WallyWorld\""]);
        Assert.Equal("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", auth.Authorize("DESCRIBE", "rtsp://x"));
    }

    [Fact]
    public void Credentials_ArePercentDecoded_AndNeverPrinted()
    {
        var c = Credentials.FromUserInfo("ad%3Amin:p%40ss%3Aw0rd")!;
        Assert.Equal(("ad:min", "p@ss:w0rd"), (c.User, c.Password));
        Assert.DoesNotContain("w0rd", c.ToString());
        Assert.Equal("rtsp://admin:***@cam:554/x?y=1", RtspClient.Mask("rtsp://admin:p%40ss@cam:554/x?y=1"));
        Assert.Equal("rtsp://cam/x", RtspClient.Mask("rtsp://cam/x"));
    }

    [Theory]
    [InlineData("RTP/AVP/TCP;unicast;interleaved=0-1", true, 0, null)]
    [InlineData("RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc=1A2B3C4D;mode=\"PLAY\"", false, null, 6970)]
    [InlineData("RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc= 1A2B3C4D", false, null, 6970)]
    public void TransportHeader_Parses_Rfc2326_12_39(string header, bool tcp, int? interleaved, int? serverPort)
    {
        var t = TransportHeader.Parse(header);
        Assert.Equal(tcp, t.Tcp);
        Assert.Equal(interleaved, t.Interleaved?.Rtp);
        Assert.Equal(serverPort, t.ServerPort?.Rtp);
        if (header.Contains("ssrc", StringComparison.Ordinal)) Assert.Equal(0x1A2B3C4Du, t.Ssrc);
    }

    [Theory]
    [InlineData("abc123;timeout=30", "abc123", 30)]
    [InlineData("12345678", "12345678", 60)]
    public void SessionHeader_GivesIdAndTimeout(string header, string id, int timeout)
    {
        Assert.Equal(new SessionHeader(id, timeout), SessionHeader.Parse(header));
    }

    [Theory]
    [InlineData("rtsp://cam/live/", "stream=0", "rtsp://cam/live/stream=0")]
    [InlineData("rtsp://cam/live", "trackID=1", "rtsp://cam/live/trackID=1")]
    [InlineData("rtsp://u:p@cam/live/", "rtsp://cam:554/live/trackID=2", "rtsp://cam:554/live/trackID=2")]
    [InlineData("rtsp://cam/live/", "*", "rtsp://cam/live/")]
    [InlineData("rtsp://u:p@cam/live?x=1", "?ctype=video", "rtsp://cam/live?ctype=video")]
    public void ControlUrls_ResolveAgainstTheBase_Rfc2326_C_1_1(string baseUrl, string control, string expected)
    {
        Assert.Equal(expected, RtspClient.ResolveControl(baseUrl, control));
    }

    [Theory]
    [InlineData("rtsp://cam/x#transport=tcp", RtspTransport.Tcp)]
    [InlineData("rtsp://cam/x#transport=UDP", RtspTransport.Udp)]
    [InlineData("rtsp://cam/x", RtspTransport.Auto)]
    public void TransportOption_ComesFromTheUriFragment(string uri, RtspTransport expected)
    {
        Assert.Equal(expected, new RtspClientOptions { Uri = uri }.EffectiveTransport);
    }

    [Theory]
    [InlineData(0, 500)]
    [InlineData(3, 3000)]
    [InlineData(10, 5000)]
    [InlineData(20, 15000)]
    [InlineData(100, 30000)]
    public void Backoff_IsFastFirst_ThenSlower_Capped(int attempt, int ms)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(ms), ReconnectingCamera.Backoff(attempt));
    }
}
