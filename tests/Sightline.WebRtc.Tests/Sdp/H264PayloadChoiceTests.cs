using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Sightline.Rtp.Packetization;
using Sightline.Rtp.Sdp;
using Sightline.WebRtc.Sdp;

namespace Sightline.WebRtc.Tests.Sdp;

/// <summary>
/// Which offered H.264 payload type carries a camera's stream as it is (RemoteOffer.ChooseH264's rule), and what the
/// answer then states: the stream's own profile-level-id and packetization-mode, never the offer's.
/// </summary>
public class H264PayloadChoiceTests
{
    private static string Capture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Captures", name));
    private static OfferedMedia ChromiumVideo => RemoteOffer.Parse(Capture("chromium-156-recvonly-offer.sdp")).Media.Single(m => m.Kind == "video");

    private static OfferedMedia Video(params (int Pt, string Fmtp)[] codecs)
    {
        var list = codecs.Select(c => new OfferedCodec(c.Pt, "H264", 90000, 1,
            c.Fmtp.Split(';').Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]), ["nack"], null)).ToList();
        return new OfferedMedia("video", "1", "recvonly", list, new Dictionary<string, int>());
    }

    private static string? ProfileOf(OfferedCodec? c) => c?.Fmtp["profile-level-id"];

    [Fact]
    public void ConstrainedBaselineCamera_GoesOnTheConstrainedBaselinePayloadType_PacketizationMode1()
    {
        var c = RemoteOffer.ChooseH264(ChromiumVideo, "42e01f");
        Assert.Equal("42e01f", ProfileOf(c));
        Assert.Equal("1", c!.Fmtp["packetization-mode"]);
    }

    [Fact]
    public void MainCamera_GoesOnChromiumsMainPayloadType()
    {
        Assert.Equal("4d001f", ProfileOf(RemoteOffer.ChooseH264(ChromiumVideo, "4d0028")));
    }

    [Fact]
    public void HighCamera_InChromium_GoesOnTheHigh444PayloadType_WhoseDecoderTakesHigh()
    {
        // Debian's Chromium 156 offers no High (64) payload type, but a High 4:4:4 Predictive one, whose decoder H.264
        // §A.2.6 requires to decode High streams.
        Assert.Equal("f4001f", ProfileOf(RemoteOffer.ChooseH264(ChromiumVideo, "640028")));
    }

    [Fact]
    public void MainOrHighCamera_ForAConstrainedBaselineOnlyDecoder_MustBeReencoded()
    {
        // Firefox with OpenH264, and many phones' hardware decoders, offer Constrained Baseline only: no CABAC.
        var openH264 = Video((126, "profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1"), (97, "profile-level-id=42e01f;level-asymmetry-allowed=1"));
        Assert.Null(RemoteOffer.ChooseH264(openH264, "640028"));
        Assert.Null(RemoteOffer.ChooseH264(openH264, "4d001f"));
        Assert.Equal(126, RemoteOffer.ChooseH264(openH264, "42e01f")!.PayloadType);
    }

    [Fact]
    public void PacketizationMode0_IsNeverChosen_OurPacketizerUsesFuA()
    {
        Assert.Null(RemoteOffer.ChooseH264(Video((97, "profile-level-id=42e01f;level-asymmetry-allowed=1")), "42e01f"));
    }

    [Fact]
    public void SafariLikeOffer_ConstrainedHighTakesConstrainedHigh_AndHighIsReencoded()
    {
        var safari = Video((96, "profile-level-id=640c1f;level-asymmetry-allowed=1;packetization-mode=1"), (98, "profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1"));
        Assert.Equal(96, RemoteOffer.ChooseH264(safari, "640c28")!.PayloadType);
        Assert.Equal(98, RemoteOffer.ChooseH264(safari, "42e01f")!.PayloadType); // its own profile first
        Assert.Null(RemoteOffer.ChooseH264(safari, "640028"));
    }

    [Fact]
    public void FirefoxWithoutOpenH264_HasNoH264PayloadType()
    {
        var firefox = RemoteOffer.Parse(Capture("firefox-esr-153-recvonly-offer.sdp")).Media.Single(m => m.Kind == "video");
        Assert.Null(RemoteOffer.ChooseH264(firefox, "42e01f"));
        Assert.Contains(firefox.Codecs, c => c.Name == "VP8");
    }

    [Fact]
    public async Task Answer_StatesTheStreamsProfile_NotTheOffers()
    {
        await using var mux = new Sightline.WebRtc.Transport.UdpMux(new IPEndPoint(IPAddress.Loopback, 0), NullLogger.Instance);
        var peer = new PeerConnection(mux, Sightline.WebRtc.Dtls.DtlsCertificate.Create(), NullLogger.Instance);
        var text = peer.Answer(Capture("chromium-156-recvonly-offer.sdp"), [new TrackSpec("video", MediaCodec.H264, "640028")], [IPAddress.Loopback]);
        Assert.True(SessionDescription.TryParse(text, out var answer, out _));
        var video = answer!.Media.Single(m => m.Media == "video");
        var pt = int.Parse(video.Formats[0]);
        Assert.Equal("H264", video.RtpMap(pt)!.Encoding);
        Assert.Equal("640028", video.Fmtp(pt)["profile-level-id"]);
        Assert.Equal("1", video.Fmtp(pt)["packetization-mode"]);
        Assert.Equal(pt, peer.Tracks.Single().PayloadType);
    }
}
