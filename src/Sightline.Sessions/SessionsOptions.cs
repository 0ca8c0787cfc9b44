namespace Sightline.Sessions;

/// <summary>Settings of the sessions model that come from the server's configuration.</summary>
public sealed record SessionsOptions
{
    /// <summary>The <c>ws://host:port</c> or <c>wss://host[:port]</c> in front of every token. Defaults to <c>ws://localhost:4443</c>.</summary>
    public string TokenUrlBase { get; init; } = "ws://localhost:4443";

    /// <summary>Copied into every new connection that names none (<c>OPENVIDU_WEBRTC_ICE_SERVERS</c>). Defaults to none.</summary>
    public IReadOnlyList<Model.IceServer> DefaultIceServers { get; init; } = [];
}
