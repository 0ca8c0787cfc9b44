using Sightline.Server.Diagnostics;
using Sightline.Server.Webhooks;
using Sightline.Sessions.Events;

namespace Sightline.Server.Hosting;

/// <summary>Writes one structured log line per session event, so the operator sees what the backend hears.</summary>
public sealed class SessionEventLog(ILogger<SessionEventLog> logger) : ISessionEventSink
{
    public void OnEvent(SessionEvent sessionEvent)
    {
        if (!logger.IsEnabled(LogLevel.Information)) return;
        var detail = sessionEvent switch
        {
            ParticipantJoined j => $"participantJoined {j.Connection.ConnectionId} ({j.Connection.Platform})",
            ParticipantLeft l => $"participantLeft {l.Connection.ConnectionId} ({l.Reason})",
            WebRtcConnectionCreated c => $"webrtcConnectionCreated {c.Stream.StreamId}" + (c.SubscriberConnectionId is { } s ? $" -> {s}" : ""),
            WebRtcConnectionDestroyed d => $"webrtcConnectionDestroyed {d.Stream.StreamId}" + (d.SubscriberConnectionId is { } s ? $" -> {s}" : "") + $" ({d.Reason})",
            SessionDestroyed d => $"sessionDestroyed ({d.Reason})",
            _ => WebhookPayload.NameOf(sessionEvent) ?? sessionEvent.GetType().Name,
        };
        ServerLog.SessionEvent(logger, sessionEvent.SessionId, detail);
    }
}
