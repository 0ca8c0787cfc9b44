namespace Sightline.Sessions;

/// <summary>Why a session operation was refused. The REST and signaling layers turn these into OpenVidu's status codes.</summary>
public enum SessionError
{
    None,
    SessionNotFound,
    ConnectionNotFound,
    StreamNotFound,
    /// <summary>A camera's stream can only go away with its connection (OpenVidu answers 405).</summary>
    IpCameraStreamCannotBeUnpublished,
    /// <summary>The session exists but nobody ever joined it.</summary>
    SessionNotActive,
    TokenNotFound,
    /// <summary>The connection is pending (its token was never used).</summary>
    ConnectionNotActive,
    AlreadyPublishing,
    AlreadySubscribed,
    NotSubscribed,
    InvalidRecipient,
    /// <summary>The operation does not apply to this kind of connection (e.g. a role change on a camera).</summary>
    WrongConnectionType,
}
