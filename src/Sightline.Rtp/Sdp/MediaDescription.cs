using System.Globalization;

namespace Sightline.Rtp.Sdp;

/// <summary>One <c>m=</c> section of an SDP description with its attributes.</summary>
public sealed class MediaDescription
{
    public required string Media { get; init; }
    public required int Port { get; init; }
    public required string Protocol { get; init; }
    public required List<string> Formats { get; init; }
    public string? Connection { get; set; }
    public string? Bandwidth { get; set; }
    public List<SdpAttribute> Attributes { get; } = [];

    /// <summary>Per-media <c>a=control</c> (RTSP track URL, absolute or relative).</summary>
    public string? Control => SdpAttribute.Find(Attributes, "control");

    public string? Attribute(string name) => SdpAttribute.Find(Attributes, name);

    /// <summary>The <c>a=rtpmap</c> of a payload type, or the static RFC 3551 mapping for PT 0–34.</summary>
    public RtpMap? RtpMap(int payloadType)
    {
        var prefix = payloadType.ToString(CultureInfo.InvariantCulture) + " ";
        foreach (var a in Attributes)
        {
            if (a.Name.Equals("rtpmap", StringComparison.OrdinalIgnoreCase) && a.Value is { } v && v.StartsWith(prefix, StringComparison.Ordinal))
            {
                return Sdp.RtpMap.TryParse(v[prefix.Length..], out var map) ? map : null;
            }
        }
        return Sdp.RtpMap.Static(payloadType);
    }

    /// <summary>The <c>a=fmtp</c> parameters of a payload type (names lower-cased), empty when none.</summary>
    public Dictionary<string, string> Fmtp(int payloadType)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var prefix = payloadType.ToString(CultureInfo.InvariantCulture) + " ";
        foreach (var a in Attributes)
        {
            if (!a.Name.Equals("fmtp", StringComparison.OrdinalIgnoreCase) || a.Value is not { } v || !v.StartsWith(prefix, StringComparison.Ordinal)) continue;
            foreach (var part in v[prefix.Length..].Split(';'))
            {
                var eq = part.IndexOf('=');
                if (eq <= 0) continue;
                result[part[..eq].Trim()] = part[(eq + 1)..].Trim();
            }
        }
        return result;
    }

    internal static bool TryParseMediaLine(string value, out MediaDescription? media)
    {
        media = null;
        var parts = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3) return false;
        var portText = parts[1];
        var slash = portText.IndexOf('/');
        if (slash >= 0) portText = portText[..slash];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535) return false;
        media = new MediaDescription { Media = parts[0], Port = port, Protocol = parts[2], Formats = [.. parts[3..]] };
        return true;
    }
}

/// <summary><c>a=rtpmap:&lt;pt&gt; &lt;encoding&gt;/&lt;clock rate&gt;[/&lt;channels&gt;]</c>.</summary>
public sealed record RtpMap(string Encoding, int ClockRate, int Channels)
{
    public static bool TryParse(string text, out RtpMap? map)
    {
        map = null;
        var parts = text.Trim().Split('/');
        if (parts.Length < 2 || parts[0].Length == 0) return false;
        if (!int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var rate) || rate <= 0) return false;
        var channels = 1;
        if (parts.Length > 2 && !int.TryParse(parts[2].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out channels)) channels = 1;
        map = new RtpMap(parts[0].Trim(), rate, Math.Max(1, channels));
        return true;
    }

    /// <summary>RFC 3551 static payload types that cameras use without an rtpmap.</summary>
    public static RtpMap? Static(int payloadType) => payloadType switch
    {
        0 => new RtpMap("PCMU", 8000, 1),
        8 => new RtpMap("PCMA", 8000, 1),
        14 => new RtpMap("MPA", 90000, 1),
        26 => new RtpMap("JPEG", 90000, 1),
        _ => null,
    };
}
