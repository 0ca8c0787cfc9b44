using System.Globalization;
using System.Text;

namespace Sightline.WebRtc.Sdp;

/// <summary>What we send on one m-line of the answer.</summary>
public sealed record AnsweredMedia(OfferedMedia Offer, OfferedCodec? Codec, uint Ssrc, string StreamId, string TrackId, uint? RtxSsrc = null)
{
    /// <summary>Offering (server-offers flow): every codec of the m-line, in order of preference; null: <see cref="Codec"/> alone.</summary>
    public IReadOnlyList<OfferedCodec>? Alternatives { get; init; }
}

/// <summary>
/// Writes a server's SDP answer (RFC 8829 §5.3, RFC 8445 lite): ICE-lite, one BUNDLE transport with rtcp-mux, DTLS
/// passive (we are the DTLS server), and per m-line the chosen codec with its fmtp and feedback, our SSRC and msid.
/// An m-line we cannot serve is answered with port 0, keeping an a=rtpmap for the format it lists.
/// </summary>
public static class AnswerBuilder
{
    public static string Build(string iceUfrag, string icePwd, string fingerprint, IReadOnlyList<AnsweredMedia> media, IReadOnlyList<string> candidates, string sessionId)
    {
        var sb = new StringBuilder(2048);
        void Line(string l) => sb.Append(l).Append("\r\n");
        Line("v=0");
        Line($"o=- {sessionId} 2 IN IP4 127.0.0.1");
        Line("s=-");
        Line("t=0 0");
        Line("a=ice-lite");
        var bundled = media.Where(m => m.Codec is not null).Select(m => m.Offer.Mid).ToList();
        if (bundled.Count > 0) Line("a=group:BUNDLE " + string.Join(' ', bundled));
        Line("a=msid-semantic: WMS *");
        foreach (var m in media)
        {
            var o = m.Offer;
            if (m.Codec is not { } c)
            {
                // Rejected (RFC 3264 §6): port 0 and one format, which strict parsers (pion) still look up in an
                // a=rtpmap; so it is one of the offer's codecs with its rtpmap, or PCMU (static, RFC 3551 §6).
                var (pt, name, rate, channels) = o.Codecs.Count > 0 ? (o.Codecs[0].PayloadType, o.Codecs[0].Name, o.Codecs[0].ClockRate, o.Codecs[0].Channels) : (0, "PCMU", 8000, 1);
                Line($"m={o.Kind} 0 UDP/TLS/RTP/SAVPF {pt}");
                Line("c=IN IP4 0.0.0.0");
                Line($"a=mid:{o.Mid}");
                Line("a=inactive");
                Line($"a=rtpmap:{pt} {name}/{rate}" + (channels > 1 ? $"/{channels}" : ""));
                continue;
            }
            var codecs = m.Alternatives ?? [c];
            var pts = string.Join(' ', codecs.SelectMany(x => x.RtxPayloadType is { } rtx ? [x.PayloadType, rtx] : new[] { x.PayloadType }).Select(p => p.ToString(CultureInfo.InvariantCulture)));
            Line($"m={o.Kind} 9 UDP/TLS/RTP/SAVPF {pts}");
            Line("c=IN IP4 0.0.0.0");
            Line("a=rtcp:9 IN IP4 0.0.0.0");
            Line($"a=ice-ufrag:{iceUfrag}");
            Line($"a=ice-pwd:{icePwd}");
            Line("a=ice-options:trickle");
            Line($"a=fingerprint:sha-256 {fingerprint}");
            Line("a=setup:passive");
            Line($"a=mid:{o.Mid}");
            foreach (var (uri, id) in o.Extensions)
            {
                if (uri.EndsWith("sdes:mid", StringComparison.Ordinal) || uri.EndsWith("abs-send-time", StringComparison.Ordinal)
                    || uri.Contains("transport-wide-cc", StringComparison.Ordinal))
                {
                    Line($"a=extmap:{id} {uri}");
                }
            }
            Line(o.Direction is "recvonly" or "sendrecv" ? "a=sendonly" : "a=inactive");
            Line($"a=msid:{m.StreamId} {m.TrackId}");
            Line("a=rtcp-mux");
            if (o.Kind == "video") Line("a=rtcp-rsize");
            foreach (var x in codecs)
            {
                Line($"a=rtpmap:{x.PayloadType} {x.Name}/{x.ClockRate}" + (x.Channels > 1 ? $"/{x.Channels}" : ""));
                // Once each: pion's offer repeats "nack" and "nack pli".
                foreach (var fb in x.Feedback.Distinct())
                {
                    if (fb is "nack" or "nack pli" or "ccm fir" or "goog-remb" or "transport-cc") Line($"a=rtcp-fb:{x.PayloadType} {fb}");
                }
                if (x.Fmtp.Count > 0) Line($"a=fmtp:{x.PayloadType} " + string.Join(';', x.Fmtp.Select(kv => $"{kv.Key}={kv.Value}")));
                if (x.RtxPayloadType is { } rtxPt)
                {
                    Line($"a=rtpmap:{rtxPt} rtx/{x.ClockRate}");
                    Line($"a=fmtp:{rtxPt} apt={x.PayloadType}");
                }
            }
            if (m.RtxSsrc is { } rtxSsrc) Line($"a=ssrc-group:FID {m.Ssrc} {rtxSsrc}");
            Line($"a=ssrc:{m.Ssrc} cname:sightline");
            Line($"a=ssrc:{m.Ssrc} msid:{m.StreamId} {m.TrackId}");
            if (m.RtxSsrc is { } rtx2)
            {
                Line($"a=ssrc:{rtx2} cname:sightline");
                Line($"a=ssrc:{rtx2} msid:{m.StreamId} {m.TrackId}");
            }
            foreach (var candidate in candidates) Line("a=" + candidate);
            Line("a=end-of-candidates");
        }
        return sb.ToString();
    }
}
