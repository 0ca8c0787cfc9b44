using System.Text;

namespace Sightline.Rtsp.Messages;

/// <summary>An RTSP request to send (RFC 2326 §6).</summary>
public sealed class RtspRequest(string method, string uri)
{
    public string Method { get; } = method;
    public string Uri { get; } = uri;
    public List<KeyValuePair<string, string>> Headers { get; } = [];

    public RtspRequest With(string name, string value)
    {
        Headers.Add(new(name, value));
        return this;
    }

    public byte[] Serialize()
    {
        var sb = new StringBuilder(256);
        sb.Append(Method).Append(' ').Append(Uri).Append(" RTSP/1.0\r\n");
        foreach (var (k, v) in Headers) sb.Append(k).Append(": ").Append(v).Append("\r\n");
        sb.Append("\r\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>The request line and headers with any Authorization value hidden, for logs.</summary>
    public override string ToString() => $"{Method} {Uri}";
}
