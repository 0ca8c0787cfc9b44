using System.Globalization;

namespace Sightline.Rtsp.Headers;

/// <summary>The RTSP <c>Session</c> header (RFC 2326 §12.37): id and the timeout the server announces (default 60 s).</summary>
public readonly record struct SessionHeader(string Id, int TimeoutSeconds)
{
    public const int DefaultTimeoutSeconds = 60;

    public static SessionHeader Parse(string value)
    {
        var parts = value.Split(';');
        var timeout = DefaultTimeoutSeconds;
        foreach (var p in parts.Skip(1))
        {
            var kv = p.Trim().Split('=', 2);
            if (kv.Length == 2 && kv[0].Trim().Equals("timeout", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(kv[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var t) && t > 0)
            {
                timeout = t;
            }
        }
        return new SessionHeader(parts[0].Trim(), timeout);
    }
}
