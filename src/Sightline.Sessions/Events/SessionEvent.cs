using Sightline.Sessions.Model;

namespace Sightline.Sessions.Events;

/// <summary>
/// Something that happened in a session. Events of one session are raised in order, under that session's lock, so every
/// listener (signaling, webhooks) hears the same story in the same order.
/// </summary>
public abstract record SessionEvent(string SessionId, string UniqueSessionId, long Timestamp);

/// <summary>A session was created by <c>POST /openvidu/api/sessions</c>.</summary>
public sealed record SessionCreated(string SessionId, string UniqueSessionId, long Timestamp)
    : SessionEvent(SessionId, UniqueSessionId, Timestamp);

/// <summary>A session was closed.</summary>
public sealed record SessionDestroyed(string SessionId, string UniqueSessionId, long Timestamp, long StartTime, EndReason Reason)
    : SessionEvent(SessionId, UniqueSessionId, Timestamp);

/// <summary>A browser joined with its token, or a camera was added.</summary>
public sealed record ParticipantJoined(string SessionId, string UniqueSessionId, long Timestamp, Connection Connection)
    : SessionEvent(SessionId, UniqueSessionId, Timestamp);

/// <summary>A participant left or was evicted.</summary>
public sealed record ParticipantLeft(string SessionId, string UniqueSessionId, long Timestamp, Connection Connection, long StartTime, EndReason Reason)
    : SessionEvent(SessionId, UniqueSessionId, Timestamp);

/// <summary>
/// A media connection started: <see cref="SubscriberConnectionId"/> null means the publisher's own stream (OUTBOUND),
/// otherwise a subscription of that connection to <see cref="Stream"/> (INBOUND).
/// </summary>
public sealed record WebRtcConnectionCreated(string SessionId, string UniqueSessionId, long Timestamp, PublishedStream Stream, string? SubscriberConnectionId)
    : SessionEvent(SessionId, UniqueSessionId, Timestamp);

/// <summary>A media connection ended (see <see cref="WebRtcConnectionCreated"/> for the two directions).</summary>
public sealed record WebRtcConnectionDestroyed(string SessionId, string UniqueSessionId, long Timestamp, PublishedStream Stream, string? SubscriberConnectionId, long StartTime, EndReason Reason)
    : SessionEvent(SessionId, UniqueSessionId, Timestamp);

/// <summary>A signal was sent; <see cref="From"/> is null when the server (REST) sent it.</summary>
public sealed record SignalSent(string SessionId, string UniqueSessionId, long Timestamp, string? From, IReadOnlyList<string> To, string? Type, string? Data)
    : SessionEvent(SessionId, UniqueSessionId, Timestamp);

/// <summary>
/// A recording of the session changed status (<c>started</c>, <c>stopped</c>, <c>ready</c>, <c>failed</c>). <see cref="Reason"/>
/// is set from <c>stopped</c> on; <see cref="Error"/> says why a recording failed (a Sightline extension).
/// </summary>
public sealed record RecordingStatusChanged(string SessionId, string UniqueSessionId, long Timestamp, RecordingInfo Recording, EndReason? Reason, string? Error = null)
    : SessionEvent(SessionId, UniqueSessionId, Timestamp);
