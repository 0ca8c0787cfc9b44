using System.Net;
using Sightline.Rtp.Packetization;
using Sightline.Rtp.Sdp;
using Sightline.WebRtc.Sdp;

namespace Sightline.WebRtc.Tests.Sdp;

/// <summary>
/// Answers that strict parsers take: pion (3.1.56, Debian) looks every payload type of every m-line up in an a=rtpmap,
/// rejected m-lines included, and fails SetRemoteDescription with "payload type not found" otherwise (only PT 0 is
/// excused). The offers are real ones kept in Captures/.
/// </summary>
public class AnswerBuilderTests
{
    private static string Capture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Captures", name));

    // The a=rtpmap written in the m-section itself (MediaDescription.RtpMap also answers static types from RFC 3551).
    private static RtpMap? WrittenRtpMap(MediaDescription m, string format)
    {
        var prefix = format + " ";
        var a = m.Attributes.FirstOrDefault(a => a.Name == "rtpmap" && a.Value is { } v && v.StartsWith(prefix, StringComparison.Ordinal));
        return a.Value is { } value && RtpMap.TryParse(value[prefix.Length..], out var map) ? map : null;
    }

    private static SessionDescription Parse(string text)
    {
        Assert.True(SessionDescription.TryParse(text, out var d, out var error), error);
        return d!;
    }

    private static async Task<string> AnswerAsync(string offer, params TrackSpec[] tracks)
    {
        await using var mux = new Sightline.WebRtc.Transport.UdpMux(new IPEndPoint(IPAddress.Loopback, 0), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var peer = new PeerConnection(mux, Sightline.WebRtc.Dtls.DtlsCertificate.Create(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        return peer.Answer(offer, tracks, [IPAddress.Loopback]);
    }

    [Fact]
    public async Task Rejected_audio_m_line_of_a_camera_without_audio_keeps_an_rtpmap_for_the_type_it_lists()
    {
        var answer = Parse(await AnswerAsync(Capture("pion-3.1.56-recvonly-offer.sdp"), new TrackSpec("video", MediaCodec.H264, "42e01f")));
        var audio = answer.Media[0];
        Assert.Equal("audio", audio.Media);
        Assert.Equal(0, audio.Port);
        Assert.NotNull(audio.Attribute("inactive"));
        var format = Assert.Single(audio.Formats);
        Assert.Equal("111", format); // the offer's first audio codec
        Assert.Equal(new RtpMap("opus", 48000, 2), WrittenRtpMap(audio, format));
        Assert.Equal("BUNDLE 1", answer.Attribute("group")); // a rejected m-line is not bundled (RFC 8843 §7.3.3)
    }

    [Theory]
    [InlineData("pion-3.1.56-recvonly-offer.sdp")]
    [InlineData("chromium-156-recvonly-offer.sdp")]
    public async Task Every_payload_type_of_every_m_line_has_its_rtpmap_with_or_without_audio(string capture)
    {
        var offer = Capture(capture);
        foreach (var tracks in new[] { new[] { new TrackSpec("video", MediaCodec.H264, "42e01f") }, [new TrackSpec("video", MediaCodec.VP8), new TrackSpec("audio", MediaCodec.PCMU)], [new TrackSpec("video", MediaCodec.H264, "42e01f"), new TrackSpec("audio", MediaCodec.Opus)] })
        {
            var answer = Parse(await AnswerAsync(offer, tracks));
            Assert.Equal(2, answer.Media.Count);
            foreach (var m in answer.Media)
            {
                Assert.NotEmpty(m.Formats);
                foreach (var f in m.Formats) Assert.True(WrittenRtpMap(m, f) is not null, $"{capture}: m={m.Media} lists {f} without an a=rtpmap");
            }
        }
    }

    [Fact]
    public void Rejected_m_line_whose_offer_has_no_codec_we_read_lists_PCMU_with_its_rtpmap()
    {
        var media = new OfferedMedia("audio", "0", "recvonly", [], new Dictionary<string, int>());
        var text = AnswerBuilder.Build("ufrag", "passwordpasswordpassword", "AB:CD", [new AnsweredMedia(media, null, 1, "cam", "cam-audio")], [], "1");
        var audio = Parse(text).Media[0];
        Assert.Equal(0, audio.Port);
        Assert.Equal(["0"], audio.Formats);
        Assert.Equal(new RtpMap("PCMU", 8000, 1), WrittenRtpMap(audio, "0"));
    }

    [Fact]
    public async Task Feedback_the_offer_repeats_is_answered_once()
    {
        // pion's offer lists "nack" and "nack pli" twice for each video codec (its codec table and its NACK interceptor).
        var answer = Parse(await AnswerAsync(Capture("pion-3.1.56-recvonly-offer.sdp"), new TrackSpec("video", MediaCodec.H264, "42e01f")));
        var video = answer.Media[1];
        var feedback = video.Attributes.Where(a => a.Name == "rtcp-fb").Select(a => a.Value).ToList();
        Assert.Contains(feedback, f => f!.EndsWith(" nack", StringComparison.Ordinal));
        Assert.Contains(feedback, f => f!.EndsWith(" transport-cc", StringComparison.Ordinal));
        Assert.Equal(feedback.Distinct().Count(), feedback.Count);
    }
}
