namespace Sightline.Sessions.Model;

/// <summary>
/// One connection of a session, pending (a token not yet used) or active (a participant). Immutable: the session replaces it
/// on every change, so whoever holds one holds a consistent snapshot.
/// </summary>
public sealed record Connection
{
    public required string ConnectionId { get; init; }
    public required string SessionId { get; init; }
    public required ConnectionStatus Status { get; init; }
    public required long CreatedAt { get; init; }
    public required ConnectionProperties Properties { get; init; }
    /// <summary>The full token URL handed to the browser; null for cameras once joined.</summary>
    public string? Token { get; init; }
    /// <summary>The <c>tok_…</c> part of the token, used to join.</summary>
    public string? TokenValue { get; init; }
    public long? ActiveAt { get; init; }
    public string? Location { get; init; }
    public string? Ip { get; init; }
    public string? Platform { get; init; }
    public string? ClientData { get; init; }
    public PublishedStream? Publisher { get; init; }
    public IReadOnlyList<Subscription> Subscriptions { get; init; } = [];

    public ConnectionType Type => Properties.Type;
    public bool IsActive => Status == ConnectionStatus.Active;
    public bool IsIpCamera => Properties.Type == ConnectionType.IPCAM;
}
