namespace Sightline.Sessions.Model;

/// <summary>A consistent view of a session at one instant, for the REST API.</summary>
public sealed record SessionSnapshot(
    string SessionId,
    string UniqueSessionId,
    long CreatedAt,
    bool Recording,
    SessionProperties Properties,
    IReadOnlyList<Connection> ActiveConnections,
    IReadOnlyList<Connection> PendingConnections);
