using System.Globalization;
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
    /// The H.264 payload type to send a stream with: packetization-mode=1, and the profile the stream has if offered,
    /// else any (decoders take any profile; the profile-level-id only limits what the browser sends).
    /// </summary>
    public static OfferedCodec? ChooseH264(OfferedMedia media, string? streamProfileLevelId)
    {
        var candidates = media.Codecs.Where(c => c.Name.Equals("H264", StringComparison.OrdinalIgnoreCase)
            && c.Fmtp.TryGetValue("packetization-mode", out var pm) && pm == "1").ToList();
        if (candidates.Count == 0) return null;
        bool Matches(OfferedCodec c, int chars) => streamProfileLevelId is { Length: >= 4 } wanted && c.Fmtp.TryGetValue("profile-level-id", out var p)
            && p.Length >= chars && p.AsSpan(0, chars).Equals(wanted.AsSpan(0, chars), StringComparison.OrdinalIgnoreCase);
        // Same profile and constraints first, then same profile, then constrained baseline, then anything.
        return candidates.FirstOrDefault(c => Matches(c, 4))
            ?? candidates.FirstOrDefault(c => Matches(c, 2))
            ?? candidates.FirstOrDefault(c => c.Fmtp.TryGetValue("profile-level-id", out var p) && p.StartsWith("42e0", StringComparison.OrdinalIgnoreCase))
            ?? candidates[0];
    }
}
