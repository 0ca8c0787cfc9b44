using System.Globalization;
using Sightline.Rtp.Codecs.H264;
using Sightline.Rtp.Sdp;

namespace Sightline.WebRtc.Sdp;

/// <summary>A codec a browser offers for one m-line: payload type, name, clock, fmtp and feedback.</summary>
public sealed record OfferedCodec(int PayloadType, string Name, int ClockRate, int Channels, IReadOnlyDictionary<string, string> Fmtp, IReadOnlyList<string> Feedback, int? RtxPayloadType);

/// <summary>One m-line of a browser's offer, as a WebRTC answerer needs it (RFC 8829 §5.3).</summary>
public sealed record OfferedMedia(string Kind, string Mid, string Direction, IReadOnlyList<OfferedCodec> Codecs, IReadOnlyDictionary<string, int> Extensions);

/// <summary>The parts of a browser's SDP offer a server needs: ICE credentials, DTLS fingerprint and role, media sections.</summary>
public sealed record RemoteOffer(string IceUfrag, string IcePwd, string Fingerprint, string Setup, IReadOnlyList<OfferedMedia> Media)
{
    public static RemoteOffer Parse(string sdp)
    {
        if (!SessionDescription.TryParse(sdp, out var d, out var error)) throw new FormatException("invalid SDP offer: " + error);
        string? ufrag = d!.Attribute("ice-ufrag"), pwd = d.Attribute("ice-pwd"), fingerprint = d.Attribute("fingerprint"), setup = d.Attribute("setup");
        var media = new List<OfferedMedia>();
        foreach (var m in d.Media)
        {
            ufrag ??= m.Attribute("ice-ufrag");
            pwd ??= m.Attribute("ice-pwd");
            fingerprint ??= m.Attribute("fingerprint");
            setup ??= m.Attribute("setup");
            var direction = m.Attributes.Select(a => a.Name).FirstOrDefault(n => n is "sendrecv" or "sendonly" or "recvonly" or "inactive") ?? "sendrecv";
            var rtx = new Dictionary<int, int>();
            foreach (var f in m.Formats)
            {
                if (!int.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out var pt)) continue;
                if (m.RtpMap(pt) is { Encoding: var enc } && enc.Equals("rtx", StringComparison.OrdinalIgnoreCase)
                    && m.Fmtp(pt).TryGetValue("apt", out var apt) && int.TryParse(apt, out var aptValue))
                {
                    rtx[aptValue] = pt;
                }
            }
            var codecs = new List<OfferedCodec>();
            foreach (var f in m.Formats)
            {
                if (!int.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out var pt) || m.RtpMap(pt) is not { } map) continue;
                var prefix = pt.ToString(CultureInfo.InvariantCulture) + " ";
                var feedback = m.Attributes.Where(a => a.Name == "rtcp-fb" && a.Value is { } v && v.StartsWith(prefix, StringComparison.Ordinal)).Select(a => a.Value![prefix.Length..]).ToList();
                codecs.Add(new OfferedCodec(pt, map.Encoding, map.ClockRate, map.Channels, m.Fmtp(pt), feedback, rtx.TryGetValue(pt, out var r) ? r : null));
            }
            var extensions = new Dictionary<string, int>();
            foreach (var a in m.Attributes.Where(a => a.Name == "extmap" && a.Value is not null))
            {
                var parts = a.Value!.Split(' ', 2);
                var idText = parts[0].Split('/')[0];
                if (parts.Length == 2 && int.TryParse(idText, out var id)) extensions[parts[1].Trim()] = id;
            }
            media.Add(new OfferedMedia(m.Media, m.Attribute("mid") ?? media.Count.ToString(CultureInfo.InvariantCulture), direction, codecs, extensions));
        }
        if (ufrag is null || pwd is null) throw new FormatException("the offer has no ICE credentials");
        if (fingerprint is null) throw new FormatException("the offer has no DTLS fingerprint");
        var fp = fingerprint.Split(' ', 2);
        if (fp.Length != 2 || !fp[0].Equals("sha-256", StringComparison.OrdinalIgnoreCase)) throw new FormatException("the offer's fingerprint is not sha-256");
        return new RemoteOffer(ufrag, pwd, fp[1].Trim(), setup ?? "actpass", media);
    }

    /// <summary>
    /// The H.264 payload type (packetization-mode 1) that can carry a stream of <paramref name="streamProfileLevelId"/>
    /// as it is, by this rule: a payload type of the stream's own profile first; else the least capable profile whose
    /// decoder H.264 Annex A requires to decode the stream's (a Main or High decoder takes Constrained Baseline, a High
    /// decoder Main, a High 4:4:4 decoder High; see <see cref="H264Profile.Decodes"/>). Null when no offered decoder is
    /// known to take it: the stream must then be re-encoded. A stream whose profile is unknown is taken as Constrained
    /// Baseline.
    /// </summary>
    public static OfferedCodec? ChooseH264(OfferedMedia media, string? streamProfileLevelId)
    {
        if (!H264Profile.TryParse(streamProfileLevelId, out var stream)) stream = H264Profile.From(0x42, 0xe0, 0x1f);
        OfferedCodec? best = null;
        var bestRank = int.MaxValue;
        foreach (var c in media.Codecs)
        {
            if (!c.Name.Equals("H264", StringComparison.OrdinalIgnoreCase) || !c.Fmtp.TryGetValue("packetization-mode", out var pm) || pm != "1") continue;
            // No profile-level-id means Constrained Baseline's 42 00 1f (RFC 6184 §8.1: Baseline, level 1.0; browsers mean 42e01f).
            if (!H264Profile.TryParse(c.Fmtp.GetValueOrDefault("profile-level-id", "42e01f"), out var decoder) || !decoder.Decodes(stream)) continue;
            // The stream's own profile (same constraints first), then the least capable decoder that takes it.
            var rank = decoder.Kind == stream.Kind ? (decoder.Constraints == stream.Constraints ? 0 : 1) : 2 + (int)decoder.Kind;
            if (rank < bestRank)
            {
                best = c;
                bestRank = rank;
            }
        }
        return best;
    }
}
