namespace Sightline.Rtsp.Auth;

/// <summary>One <c>WWW-Authenticate</c> challenge (RFC 2617 §1.2, §3.2.1): scheme and parameters.</summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public string? this[string name] => Parameters.TryGetValue(name, out var v) ? v : null;

    public static AuthChallenge? Parse(string header)
    {
        var text = header.Trim();
        var space = text.IndexOf(' ');
        var scheme = space < 0 ? text : text[..space];
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = space < 0 ? text.Length : space + 1;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ' ' || text[i] == ',')) i++;
            var eq = text.IndexOf('=', i);
            if (eq < 0) break;
            var name = text[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var close = i + 1;
                while (close < text.Length && text[close] != '"')
                {
                    if (text[close] == '\\') close++;
                    close++;
                }
                value = text[(i + 1)..Math.Min(close, text.Length)].Replace("\\\"", "\"", StringComparison.Ordinal);
                i = close + 1;
            }
            else
            {
                var comma = text.IndexOf(',', i);
                if (comma < 0) comma = text.Length;
                value = text[i..comma].Trim();
                i = comma + 1;
            }
            if (name.Length > 0) parameters[name] = value;
        }
        return scheme.Length == 0 ? null : new AuthChallenge(scheme, parameters);
    }
}
