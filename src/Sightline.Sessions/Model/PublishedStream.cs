namespace Sightline.Sessions.Model;

/// <summary>A stream published by a connection (a browser's camera/screen or an IP camera).</summary>
public sealed record PublishedStream(string StreamId, string ConnectionId, long CreatedAt, MediaOptions MediaOptions, IpCameraProperties? IpCamera);

/// <summary>A connection receiving someone's stream.</summary>
public sealed record Subscription(string StreamId, string PublisherConnectionId, long CreatedAt);
