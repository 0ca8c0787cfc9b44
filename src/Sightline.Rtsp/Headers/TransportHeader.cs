using System.Globalization;

namespace Sightline.Rtsp.Headers;

/// <summary>The RTSP <c>Transport</c> header (RFC 2326 §12.39) as a camera answers SETUP.</summary>
public sealed record TransportHeader
{
    public bool Tcp { get; init; }
    public (int Rtp, int Rtcp)? Interleaved { get; init; }
    public (int Rtp, int Rtcp)? ClientPort { get; init; }
    public (int Rtp, int Rtcp)? ServerPort { get; init; }
    public string? Source { get; init; }
    public uint? Ssrc { get; init; }
    public bool Multicast { get; init; }

    public static TransportHeader Parse(string value)
    {
        // Several alternatives may be listed; the first is the one the server chose.
        var first = value.Split(',')[0];
        var h = new TransportHeader();
        foreach (var raw in first.Split(';'))
        {
            var part = raw.Trim();
            var eq = part.IndexOf('=');
            var key = (eq < 0 ? part : part[..eq]).Trim().ToLowerInvariant();
            var val = eq < 0 ? "" : part[(eq + 1)..].Trim().Trim('"');
            switch (key)
            {
                case "rtp/avp/tcp":
                    h = h with { Tcp = true };
                    break;
                case "multicast":
                    h = h with { Multicast = true };
                    break;
                case "interleaved":
                    h = h with { Interleaved = Pair(val) };
                    break;
                case "client_port":
                    h = h with { ClientPort = Pair(val) };
                    break;
                case "server_port":
                    h = h with { ServerPort = Pair(val) };
                    break;
                case "source":
                    h = h with { Source = val };
                    break;
                case "ssrc":
                    // Some cameras pad the SSRC with spaces or send it in decimal; hexadecimal per RFC 2326.
                    if (uint.TryParse(val.Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var ssrc)) h = h with { Ssrc = ssrc };
                    break;
            }
        }
        return h;
    }

    private static (int, int)? Pair(string value)
    {
        var parts = value.Split('-');
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var a)) return null;
        var b = a + 1;
        if (parts.Length > 1 && !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out b)) b = a + 1;
        return (a, b);
    }
}
