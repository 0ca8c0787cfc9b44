namespace Sightline.Rtp.Sdp;

/// <summary>An SDP session description (RFC 8866): session lines and attributes, and its media sections.</summary>
public sealed class SessionDescription
{
    /// <summary>Larger descriptions are refused: no camera or browser sends anything close.</summary>
    public const int MaxLength = 64 * 1024;

    public string? Origin { get; private set; }
    public string? SessionName { get; private set; }
    public string? Connection { get; private set; }
    public List<SdpAttribute> Attributes { get; } = [];
    public List<MediaDescription> Media { get; } = [];

    /// <summary>Session-level <c>a=control</c> (aggregate control URL of RTSP, RFC 2326 C.1.1).</summary>
    public string? Control => SdpAttribute.Find(Attributes, "control");

    public string? Attribute(string name) => SdpAttribute.Find(Attributes, name);

    /// <summary>Parses the text leniently (unknown lines kept, CRLF or LF); false only when it is not SDP at all.</summary>
    public static bool TryParse(string text, out SessionDescription? description, out string? error)
    {
        description = null;
        error = null;
        if (text.Length > MaxLength)
        {
            error = $"SDP larger than {MaxLength} bytes";
            return false;
        }
        var sdp = new SessionDescription();
        MediaDescription? current = null;
        var sawVersion = false;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r', ' ', '\t');
            if (line.Length < 2 || line[1] != '=') continue; // blank or broken line: skip it, as real cameras need
            var value = line[2..];
            switch (line[0])
            {
                case 'v':
                    sawVersion = true;
                    break;
                case 'o' when current is null:
                    sdp.Origin = value;
                    break;
                case 's' when current is null:
                    sdp.SessionName = value;
                    break;
                case 'c':
                    if (current is null) sdp.Connection = value;
                    else current.Connection = value;
                    break;
                case 'b' when current is not null:
                    current.Bandwidth = value;
                    break;
                case 'm':
                    if (!MediaDescription.TryParseMediaLine(value, out current))
                    {
                        error = $"bad media line 'm={value}'";
                        return false;
                    }
                    sdp.Media.Add(current!);
                    break;
                case 'a':
                    var attribute = SdpAttribute.Parse(value);
                    (current?.Attributes ?? sdp.Attributes).Add(attribute);
                    break;
            }
        }
        if (!sawVersion && sdp.Media.Count == 0)
        {
            error = "not an SDP description (no v= line and no media)";
            return false;
        }
        description = sdp;
        return true;
    }
}

/// <summary>One <c>a=name[:value]</c> line.</summary>
public readonly record struct SdpAttribute(string Name, string? Value)
{
    public static SdpAttribute Parse(string text)
    {
        var colon = text.IndexOf(':');
        return colon < 0 ? new SdpAttribute(text.Trim(), null) : new SdpAttribute(text[..colon].Trim(), text[(colon + 1)..].Trim());
    }

    public static string? Find(List<SdpAttribute> list, string name)
    {
        foreach (var a in list)
        {
            if (string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase)) return a.Value ?? "";
        }
        return null;
    }

    public override string ToString() => Value is null ? Name : Name + ":" + Value;
}
