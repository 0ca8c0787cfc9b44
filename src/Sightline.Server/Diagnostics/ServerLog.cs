namespace Sightline.Server.Diagnostics;

/// <summary>The server's log lines, with stable event ids (1xxx = server).</summary>
public static partial class ServerLog
{
    [LoggerMessage(1001, LogLevel.Information, "Sightline {Version} listening on {Url}; public URL {PublicUrl}")]
    public static partial void Listening(ILogger logger, string version, string url, string publicUrl);

    [LoggerMessage(1002, LogLevel.Warning, "{Setting} is set but {Feature} is not available in this build yet; the setting is ignored")]
    public static partial void FeatureNotAvailable(ILogger logger, string setting, string feature);

    [LoggerMessage(1003, LogLevel.Information, "Shutting down: closing {Count} session(s)")]
    public static partial void ClosingSessions(ILogger logger, int count);

    [LoggerMessage(1010, LogLevel.Information, "Session garbage collector removed {Count} session(s) nobody joined within {ThresholdSeconds} s")]
    public static partial void GarbageCollected(ILogger logger, int count, int thresholdSeconds);

    [LoggerMessage(1020, LogLevel.Information, "Session {SessionId}: {Event}")]
    public static partial void SessionEvent(ILogger logger, string sessionId, string @event);

    [LoggerMessage(1101, LogLevel.Warning, "Webhook delivery to {Endpoint} failed ({Reason}); retrying, {Pending} event(s) waiting")]
    public static partial void WebhookRetrying(ILogger logger, string endpoint, string reason, int pending);

    [LoggerMessage(1102, LogLevel.Information, "Webhook endpoint {Endpoint} reachable again after {Attempts} attempt(s)")]
    public static partial void WebhookRecovered(ILogger logger, string endpoint, int attempts);

    [LoggerMessage(1103, LogLevel.Error, "Webhook endpoint rejected event {Event} with HTTP {Status}; not retried")]
    public static partial void WebhookRejected(ILogger logger, string @event, int status);

    [LoggerMessage(1104, LogLevel.Error, "Webhook queue full ({Capacity}): event {Event} of session {SessionId} dropped ({Dropped} dropped so far)")]
    public static partial void WebhookOverflow(ILogger logger, int capacity, string @event, string sessionId, long dropped);

    [LoggerMessage(1105, LogLevel.Warning, "Shutdown: {Pending} webhook event(s) could not be delivered within {TimeoutMs} ms")]
    public static partial void WebhookUndelivered(ILogger logger, int pending, long timeoutMs);
}
