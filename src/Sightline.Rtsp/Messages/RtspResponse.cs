using System.Globalization;

namespace Sightline.Rtsp.Messages;

/// <summary>An RTSP response (RFC 2326 §7): status, headers (case-insensitive, repeatable) and body.</summary>
public sealed class RtspResponse
{
    public required int StatusCode { get; init; }
    public required string Reason { get; init; }
    public required List<KeyValuePair<string, string>> Headers { get; init; }
    public byte[] Body { get; init; } = [];

    public string? Header(string name)
    {
        foreach (var (k, v) in Headers)
        {
            if (string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) return v;
        }
        return null;
    }

    public IEnumerable<string> HeaderValues(string name)
    {
        foreach (var (k, v) in Headers)
        {
            if (string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) yield return v;
        }
    }

    public int? CSeq => int.TryParse(Header("CSeq")?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}
