namespace Sightline.Sessions.Ids;

/// <summary>
/// A camera URI read the way OpenVidu reads <c>rtspUri</c> (<c>java.net.URI</c>, RFC 2396): the same accepted inputs, the
/// same error texts, and the same host/port/path split that the <c>ipc_IPCAM_…</c> connection id is built from.
/// </summary>
public sealed class CameraUri
{
    /// <summary>The schemes OpenVidu accepts for a camera (exact, lower case).</summary>
    public static readonly IReadOnlyList<string> AllowedSchemes = ["file", "rtsp", "rtsps", "http", "https"];

    private const string Unreserved = "-_.!~*'()";
    private const string Reserved = ";/?:@&=+$,";

    private CameraUri(string original, string? scheme, string? userInfo, string? host, int port, string? path, string? query)
    {
        Original = original;
        Scheme = scheme;
        UserInfo = userInfo;
        Host = host;
        Port = port;
        Path = path;
        Query = query;
    }

    public string Original { get; }
    public string? Scheme { get; }
    public string? UserInfo { get; }
    /// <summary>Null when the authority is not <c>host[:port]</c> (e.g. a host name with <c>_</c>) or absent (<c>file:///…</c>).</summary>
    public string? Host { get; }
    /// <summary>-1 when the URI has no explicit port.</summary>
    public int Port { get; }
    public string? Path { get; }
    public string? Query { get; }

    /// <summary>The URI with the password of its user-info replaced by <c>***</c>, for logs and diagnostics.</summary>
    public string Masked
    {
        get
        {
            if (UserInfo is null) return Original;
            var colon = UserInfo.IndexOf(':');
            if (colon < 0) return Original;
            var masked = UserInfo[..(colon + 1)] + "***";
            return Original.Replace(UserInfo + "@", masked + "@", StringComparison.Ordinal);
        }
    }

    /// <summary>Parses like <c>new java.net.URI(text)</c>; on failure <paramref name="error"/> holds Java's message.</summary>
    public static bool TryParse(string text, out CameraUri? uri, out string? error)
    {
        uri = null;
        error = null;
        var i = 0;
        string? scheme = null;

        // Scheme: alpha *( alpha | digit | "+" | "-" | "." ) ":" — only if a ':' comes before any '/', '?', '#'.
        var colon = IndexOfAnyBefore(text, ':', "/?#");
        if (colon == 0)
        {
            error = $"Expected scheme name at index 0: {text}";
            return false;
        }
        if (colon > 0)
        {
            for (var k = 0; k < colon; k++)
            {
                var c = text[k];
                var ok = k == 0 ? char.IsAsciiLetter(c) : char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.';
                if (!ok)
                {
                    error = $"Illegal character in scheme name at index {k}: {text}";
                    return false;
                }
            }
            scheme = text[..colon];
            i = colon + 1;
            if (i == text.Length)
            {
                error = $"Expected scheme-specific part at index {i}: {text}";
                return false;
            }
            if (text[i] != '/')
            {
                // Opaque URI (e.g. "rtsp:foo"): no authority, no path.
                if (!CheckChars(text, i, text.Length, "opaque part", allowBrackets: false, out error)) return false;
                uri = new CameraUri(text, scheme, null, null, -1, null, null);
                return true;
            }
        }

        string? userInfo = null;
        string? host = null;
        var port = -1;
        if (string.CompareOrdinal(text, i, "//", 0, 2) == 0)
        {
            var start = i + 2;
            var end = start;
            while (end < text.Length && text[end] is not ('/' or '?' or '#')) end++;
            // Java reports a bad authority at the index where the authority starts.
            if (!CheckChars(text, start, end, "authority", allowBrackets: true, out error))
            {
                error = $"Illegal character in authority at index {start}: {text}";
                return false;
            }
            ParseServerAuthority(text[start..end], out userInfo, out host, out port);
            i = end;
        }

        var pathEnd = i;
        while (pathEnd < text.Length && text[pathEnd] is not ('?' or '#')) pathEnd++;
        if (!CheckChars(text, i, pathEnd, "path", allowBrackets: false, out error)) return false;
        var path = text[i..pathEnd];

        string? query = null;
        if (pathEnd < text.Length && text[pathEnd] == '?')
        {
            var queryEnd = text.IndexOf('#', pathEnd);
            if (queryEnd < 0) queryEnd = text.Length;
            if (!CheckChars(text, pathEnd + 1, queryEnd, "query", allowBrackets: true, out error)) return false;
            query = text[(pathEnd + 1)..queryEnd];
            pathEnd = queryEnd;
        }
        if (pathEnd < text.Length && text[pathEnd] == '#')
        {
            if (!CheckChars(text, pathEnd + 1, text.Length, "fragment", allowBrackets: true, out error)) return false;
        }

        uri = new CameraUri(text, scheme, userInfo, host, port, path, query);
        return true;
    }

    private static int IndexOfAnyBefore(string text, char wanted, string stops)
    {
        for (var k = 0; k < text.Length; k++)
        {
            if (text[k] == wanted) return k;
            if (stops.Contains(text[k])) return -1;
        }
        return -1;
    }

    private static bool CheckChars(string text, int start, int end, string component, bool allowBrackets, out string? error)
    {
        for (var k = start; k < end; k++)
        {
            var c = text[k];
            if (c == '%')
            {
                if (k + 2 >= end || !char.IsAsciiHexDigit(text[k + 1]) || !char.IsAsciiHexDigit(text[k + 2]))
                {
                    error = $"Malformed escape pair at index {k}: {text}";
                    return false;
                }
                k += 2;
                continue;
            }
            var ok = char.IsAsciiLetterOrDigit(c) || Unreserved.Contains(c) || Reserved.Contains(c)
                || (allowBrackets && c is '[' or ']')
                || (c > 0x7f && !char.IsControl(c) && !char.IsWhiteSpace(c));
            if (!ok)
            {
                error = $"Illegal character in {component} at index {k}: {text}";
                return false;
            }
        }
        error = null;
        return true;
    }

    /// <summary>RFC 2396 server-based authority: <c>[userinfo@]host[:port]</c>; anything else is registry-based (host null).</summary>
    private static void ParseServerAuthority(string authority, out string? userInfo, out string? host, out int port)
    {
        userInfo = null;
        host = null;
        port = -1;
        var hostPart = authority;
        var at = authority.LastIndexOf('@');
        string? candidateUser = null;
        if (at >= 0)
        {
            candidateUser = authority[..at];
            hostPart = authority[(at + 1)..];
        }

        string candidateHost;
        var candidatePort = -1;
        if (hostPart.StartsWith('['))
        {
            var close = hostPart.IndexOf(']');
            if (close < 0) return;
            candidateHost = hostPart[..(close + 1)];
            var rest = hostPart[(close + 1)..];
            if (rest.Length > 0 && !TryParsePort(rest, out candidatePort)) return;
            if (!System.Net.IPAddress.TryParse(candidateHost[1..^1], out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) return;
        }
        else
        {
            var c = hostPart.LastIndexOf(':');
            candidateHost = c >= 0 ? hostPart[..c] : hostPart;
            if (c >= 0 && !TryParsePort(hostPart[c..], out candidatePort)) return;
            if (!IsIPv4(candidateHost) && !IsHostName(candidateHost)) return;
        }
        userInfo = candidateUser;
        host = candidateHost;
        port = candidatePort;
    }

    private static bool TryParsePort(string colonAndDigits, out int port)
    {
        port = -1;
        if (colonAndDigits.Length == 0 || colonAndDigits[0] != ':') return false;
        var digits = colonAndDigits[1..];
        if (digits.Length == 0) return true; // "host:" — Java keeps port -1
        foreach (var d in digits) if (!char.IsAsciiDigit(d)) return false;
        return int.TryParse(digits, out port);
    }

    private static bool IsIPv4(string s)
    {
        var parts = s.Split('.');
        if (parts.Length != 4) return false;
        foreach (var p in parts)
        {
            if (p.Length is 0 or > 3) return false;
            foreach (var d in p) if (!char.IsAsciiDigit(d)) return false;
            if (int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) > 255) return false;
        }
        return true;
    }

    // hostname = *( domainlabel "." ) toplabel [ "." ]; labels alnum with inner '-'; the top label starts with a letter.
    private static bool IsHostName(string s)
    {
        if (s.Length == 0) return false;
        var labels = s.EndsWith('.') ? s[..^1].Split('.') : s.Split('.');
        for (var n = 0; n < labels.Length; n++)
        {
            var label = labels[n];
            if (label.Length == 0) return false;
            if (!char.IsAsciiLetterOrDigit(label[0]) || !char.IsAsciiLetterOrDigit(label[^1])) return false;
            foreach (var c in label) if (!char.IsAsciiLetterOrDigit(c) && c != '-') return false;
            if (n == labels.Length - 1 && !char.IsAsciiLetter(label[0])) return false;
        }
        return true;
    }
}
