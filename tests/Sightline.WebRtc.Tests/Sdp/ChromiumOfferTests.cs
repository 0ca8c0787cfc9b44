using System.Net;
using Sightline.Rtp.Packetization;
using Sightline.Rtp.Sdp;
using Sightline.WebRtc.Sdp;

namespace Sightline.WebRtc.Tests.Sdp;

/// <summary>A real offer from Debian's Chromium 156 (recvonly audio + video, as openvidu-browser subscribes), kept in Captures/.</summary>
public class ChromiumOfferTests
{
    private static string Offer => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Captures", "chromium-156-recvonly-offer.sdp"));

    [Fact]
    public void Offer_IsRead_WithIceDtlsCodecsRtxAndExtensions()
    {
        var offer = RemoteOffer.Parse(Offer);
        Assert.Equal(4, offer.IceUfrag.Length);
        Assert.Matches("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", offer.Fingerprint);
        Assert.Equal("actpass", offer.Setup);
        Assert.Equal(["audio", "video"], offer.Media.Select(m => m.Kind));
        Assert.Equal(["0", "1"], offer.Media.Select(m => m.Mid));
        Assert.All(offer.Media, m => Assert.Equal("recvonly", m.Direction));
        var video = offer.Media[1];
        var h264 = RemoteOffer.ChooseH264(video, "64001f")!;
        Assert.Equal("1", h264.Fmtp["packetization-mode"]);
        Assert.NotNull(h264.RtxPayloadType);
        Assert.Contains("nack", h264.Feedback);
        Assert.Contains("transport-cc", h264.Feedback);
        Assert.Equal(4, video.Extensions["urn:ietf:params:rtp-hdrext:sdes:mid"]);
        Assert.Contains(offer.Media[0].Codecs, c => c.Name == "opus" && c.ClockRate == 48000 && c.Channels == 2);
        Assert.Contains(offer.Media[0].Codecs, c => c.Name == "PCMU");
    }

    [Fact]
    public void Answer_ToTheOffer_IsValidSdp_WithOurChoices()
    {
        var offer = RemoteOffer.Parse(Offer);
        var answered = new List<AnsweredMedia>
        {
            new(offer.Media[0], null, 1, "cam", "cam-audio"),
            new(offer.Media[1], RemoteOffer.ChooseH264(offer.Media[1], "42e01f"), 1234, "cam", "cam-video", 5678),
        };
        var text = AnswerBuilder.Build("ufrag", "passwordpasswordpassword", "AB:CD", answered, ["candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host"], "1");
        Assert.True(SessionDescription.TryParse(text, out var answer, out _));
        Assert.NotNull(answer!.Attribute("ice-lite"));
        Assert.Equal("BUNDLE 1", answer.Attribute("group"));
        Assert.Equal(0, answer.Media[0].Port); // audio we cannot feed: rejected
        var video = answer.Media[1];
        Assert.Equal("1", video.Attribute("mid"));
        Assert.NotNull(video.Attribute("sendonly"));
        Assert.Equal("passive", video.Attribute("setup"));
        Assert.NotNull(video.Attribute("rtcp-mux"));
        Assert.Equal(2, video.Formats.Count); // H.264 and its RTX
        Assert.Equal("H264", video.RtpMap(int.Parse(video.Formats[0]))!.Encoding);
        Assert.StartsWith("42e0", video.Fmtp(int.Parse(video.Formats[0]))["profile-level-id"]);
        Assert.Contains(video.Attributes, a => a.Name == "ssrc-group" && a.Value == "FID 1234 5678");
        Assert.Contains(video.Attributes, a => a.Name == "candidate");
        // Re-read as an offer-shaped description, our answer keeps the same credentials and fingerprint.
        var again = RemoteOffer.Parse(text.Replace("a=fingerprint:sha-256 AB:CD", "a=fingerprint:sha-256 AB:CD", StringComparison.Ordinal));
        Assert.Equal("ufrag", again.IceUfrag);
    }

    [Fact]
    public async Task PeerConnection_AnswersTheRealOffer()
    {
        await using var mux = new Sightline.WebRtc.Transport.UdpMux(new IPEndPoint(IPAddress.Loopback, 0), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var peer = new PeerConnection(mux, Sightline.WebRtc.Dtls.DtlsCertificate.Create(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var answer = peer.Answer(Offer, [new TrackSpec("video", MediaCodec.H264, "640028"), new TrackSpec("audio", MediaCodec.PCMU)], [IPAddress.Loopback]);
        Assert.Equal(2, peer.Tracks.Count);
        Assert.Equal(PeerState.Checking, peer.State);
        Assert.Contains($"a=ice-ufrag:{peer.LocalUfrag}", answer);
        Assert.Equal("PCMU", peer.Tracks.Single(t => t.Kind == "audio").Codec);
        Assert.True(peer.Tracks.Single(t => t.Kind == "video").TransportCcExtension > 0);
    }
}
