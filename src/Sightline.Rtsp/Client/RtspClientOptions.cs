namespace Sightline.Rtsp.Client;

/// <summary>How RTP is carried from the camera.</summary>
public enum RtspTransport
{
    /// <summary>UDP first, TCP when UDP is refused or nothing arrives over it.</summary>
    Auto,
    Udp,
    /// <summary>Interleaved in the RTSP TCP connection (RFC 2326 §10.12).</summary>
    Tcp,
}

/// <summary>Settings of one camera client.</summary>
public sealed record RtspClientOptions
{
    /// <summary>
    /// The camera URI (<c>rtsp://</c> or <c>rtsps://</c>, credentials in the user-info). Options may follow in the fragment,
    /// which is never sent to the camera: <c>#transport=tcp</c> or <c>#transport=udp</c>.
    /// </summary>
    public required string Uri { get; init; }
    /// <summary>Defaults to <see cref="RtspTransport.Auto"/>; the URI fragment overrides it.</summary>
    public RtspTransport Transport { get; init; } = RtspTransport.Auto;
    /// <summary>Longest wait for a missing packet (the camera's <c>networkCache</c>). Defaults to 2000 ms.</summary>
    public int NetworkCacheMs { get; init; } = 2000;
    /// <summary>Defaults to 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>How long a request may wait for its response. Defaults to 10 s.</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>No media for this long while playing = stalled. Defaults to 5 s.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>With <see cref="RtspTransport.Auto"/>, UDP silence after PLAY that makes the client switch to TCP. Defaults to 3 s.</summary>
    public TimeSpan InitialUdpSilence { get; init; } = TimeSpan.FromSeconds(3);
    public string UserAgent { get; init; } = "Sightline";

    /// <summary>The transport the URI's fragment asks for, else <see cref="Transport"/>.</summary>
    public RtspTransport EffectiveTransport
    {
        get
        {
            var hash = Uri.IndexOf('#');
            if (hash < 0) return Transport;
            foreach (var part in Uri[(hash + 1)..].Split('&', '#'))
            {
                var kv = part.Split('=', 2);
                if (kv.Length == 2 && kv[0].Equals("transport", StringComparison.OrdinalIgnoreCase)
                    && Enum.TryParse<RtspTransport>(kv[1], ignoreCase: true, out var t))
                {
                    return t;
                }
            }
            return Transport;
        }
    }
}
