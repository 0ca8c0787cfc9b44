using System.Globalization;
using System.Text;

namespace Sightline.Rtsp.Messages;

/// <summary>What <see cref="RtspMessageReader.TryRead"/> found at the start of the buffer.</summary>
public enum RtspReadResult { NeedMoreData, Response, Interleaved, Invalid }

/// <summary>
/// Reads RTSP responses and interleaved binary frames (RFC 2326 §10.12: <c>$</c>, channel, 16-bit length) from a byte
/// stream, incrementally and with bounds: a header section over <see cref="MaxHeaderBytes"/>, more than
/// <see cref="MaxHeaders"/> headers or a body over <see cref="MaxBodyBytes"/> is invalid, whatever the camera claims.
/// </summary>
public static class RtspMessageReader
{
    public const int MaxHeaderBytes = 64 * 1024;
    public const int MaxHeaders = 256;
    public const int MaxBodyBytes = 1024 * 1024;

    /// <param name="consumed">Bytes of the buffer the message (or skipped garbage) used.</param>
    public static RtspReadResult TryRead(ReadOnlySpan<byte> buffer, out int consumed, out RtspResponse? response,
        out int channel, out ReadOnlySpan<byte> interleaved, out string? error)
    {
        consumed = 0;
        response = null;
        channel = -1;
        interleaved = default;
        error = null;
        if (buffer.IsEmpty) return RtspReadResult.NeedMoreData;

        if (buffer[0] == (byte)'$')
        {
            if (buffer.Length < 4) return RtspReadResult.NeedMoreData;
            var length = buffer[2] << 8 | buffer[3];
            if (buffer.Length < 4 + length) return RtspReadResult.NeedMoreData;
            channel = buffer[1];
            interleaved = buffer.Slice(4, length);
            consumed = 4 + length;
            return RtspReadResult.Interleaved;
        }

        if (buffer[0] != (byte)'R')
        {
            // Not a message start: resynchronise on the next '$' or "RTSP/" (some cameras pad or send stray bytes).
            var next = 1;
            while (next < buffer.Length && buffer[next] != (byte)'$' && buffer[next] != (byte)'R') next++;
            consumed = next;
            error = "stray bytes between messages";
            return RtspReadResult.Invalid;
        }

        var end = buffer.IndexOf("\r\n\r\n"u8);
        var terminatorLength = 4;
        var lfEnd = buffer.IndexOf("\n\n"u8);
        if (lfEnd >= 0 && (end < 0 || lfEnd < end))
        {
            end = lfEnd;
            terminatorLength = 2;
        }
        if (end < 0)
        {
            if (buffer.Length > MaxHeaderBytes)
            {
                consumed = buffer.Length;
                error = $"response headers longer than {MaxHeaderBytes} bytes";
                return RtspReadResult.Invalid;
            }
            if (buffer.Length >= 5 && !buffer.StartsWith("RTSP/"u8))
            {
                consumed = 1;
                error = "not an RTSP response";
                return RtspReadResult.Invalid;
            }
            return RtspReadResult.NeedMoreData;
        }
        if (end > MaxHeaderBytes)
        {
            consumed = end + terminatorLength;
            error = $"response headers longer than {MaxHeaderBytes} bytes";
            return RtspReadResult.Invalid;
        }

        var head = Encoding.UTF8.GetString(buffer[..end]);
        var lines = head.Split('\n');
        var status = lines[0].TrimEnd('\r').Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("RTSP/", StringComparison.Ordinal)
            || !int.TryParse(status[1], NumberStyles.None, CultureInfo.InvariantCulture, out var code) || code is < 100 or > 999)
        {
            consumed = end + terminatorLength;
            error = $"bad status line '{Truncate(lines[0])}'";
            return RtspReadResult.Invalid;
        }
        var headers = new List<KeyValuePair<string, string>>();
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0) continue;
            if ((line[0] == ' ' || line[0] == '\t') && headers.Count > 0)
            {
                // Folded continuation line (RFC 2616 §2.2).
                var last = headers[^1];
                headers[^1] = new(last.Key, last.Value + " " + line.Trim());
                continue;
            }
            var colon = line.IndexOf(':');
            if (colon <= 0) continue; // a broken header line is skipped, the response kept
            if (headers.Count >= MaxHeaders)
            {
                consumed = end + terminatorLength;
                error = $"more than {MaxHeaders} headers";
                return RtspReadResult.Invalid;
            }
            headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }

        var bodyLength = 0;
        foreach (var (k, v) in headers)
        {
            if (!k.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) continue;
            if (!int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out bodyLength) || bodyLength > MaxBodyBytes)
            {
                consumed = end + terminatorLength;
                error = $"Content-Length '{Truncate(v)}' is not a size up to {MaxBodyBytes}";
                return RtspReadResult.Invalid;
            }
        }
        var total = end + terminatorLength + bodyLength;
        if (buffer.Length < total) return RtspReadResult.NeedMoreData;
        response = new RtspResponse
        {
            StatusCode = code,
            Reason = status.Length > 2 ? status[2].Trim() : "",
            Headers = headers,
            Body = buffer.Slice(end + terminatorLength, bodyLength).ToArray(),
        };
        consumed = total;
        return RtspReadResult.Response;
    }

    private static string Truncate(string s) => s.Length > 80 ? s[..80] + "…" : s;
}
