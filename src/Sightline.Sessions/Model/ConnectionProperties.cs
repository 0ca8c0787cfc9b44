namespace Sightline.Sessions.Model;

/// <summary>OpenVidu <c>KurentoOptions</c> of a WEBRTC connection; null members were not given.</summary>
public sealed record KurentoOptions(
    int? VideoMaxRecvBandwidth,
    int? VideoMinRecvBandwidth,
    int? VideoMaxSendBandwidth,
    int? VideoMinSendBandwidth,
    IReadOnlyList<string> AllowedFilters);

/// <summary>An ICE server handed to a browser (<c>customIceServers</c>).</summary>
public sealed record IceServer(string Url, string? Username, string? Credential, string? StaticAuthSecret);

/// <summary>The camera half of an IPCAM connection: where to pull from and how.</summary>
/// <param name="NetworkCache">Receive (reorder/loss) window in milliseconds.</param>
public sealed record IpCameraProperties(string RtspUri, bool AdaptativeBitrate, bool OnlyPlayWithSubscribers, int NetworkCache)
{
    public const bool DefaultAdaptativeBitrate = true;
    public const bool DefaultOnlyPlayWithSubscribers = true;
    public const int DefaultNetworkCacheMs = 2000;
}

/// <summary>OpenVidu <c>ConnectionProperties</c>, already validated.</summary>
public sealed record ConnectionProperties
{
    public ConnectionType Type { get; init; } = ConnectionType.WEBRTC;
    /// <summary>Server-side metadata (<c>data</c> in, <c>serverData</c> out).</summary>
    public string? Data { get; init; } = "";
    public bool Record { get; init; } = true;
    /// <summary>WEBRTC only; null for IPCAM.</summary>
    public OpenViduRole? Role { get; init; } = OpenViduRole.PUBLISHER;
    public KurentoOptions? KurentoOptions { get; init; }
    public IReadOnlyList<IceServer> CustomIceServers { get; init; } = [];
    /// <summary>IPCAM only.</summary>
    public IpCameraProperties? IpCamera { get; init; }
}
