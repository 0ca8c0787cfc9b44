using Sightline.Sessions.Model;

namespace Sightline.Server.Configuration;

/// <summary>
/// The server's settings, read once at start from OpenVidu's own environment variable names (so an OpenVidu deployment's
/// settings carry over) plus a few <c>SIGHTLINE_*</c> extras. Immutable; validated by <see cref="OpenViduEnvironment"/>.
/// </summary>
public sealed record SightlineOptions
{
    public const string Version = "2.32.2";

    /// <summary>Listening port (<c>SERVER_PORT</c>). Defaults to 4443, as the OpenVidu development container.</summary>
    public int ServerPort { get; init; } = 4443;
    /// <summary>Listening address (<c>SERVER_ADDRESS</c>). Defaults to every interface.</summary>
    public string ServerAddress { get; init; } = "0.0.0.0";
    /// <summary><c>OPENVIDU_SECRET</c>. Defaults to <c>MY_SECRET</c>, as the development container.</summary>
    public string Secret { get; init; } = "MY_SECRET";
    /// <summary><c>DOMAIN_OR_PUBLIC_IP</c>. Defaults to <c>localhost</c>.</summary>
    public string DomainOrPublicIp { get; init; } = "localhost";
    /// <summary><c>HTTPS_PORT</c>, when set: the public port in URLs and tokens.</summary>
    public int? HttpsPort { get; init; }
    /// <summary>The public URL (<c>OPENVIDU_PUBLICURL</c>, else derived).</summary>
    public required Uri PublicUrl { get; init; }
    /// <summary>HTTPS certificate (PEM) and key paths; when both are set the server speaks HTTPS on <see cref="ServerPort"/>.</summary>
    public string? TlsCertificatePath { get; init; }
    public string? TlsKeyPath { get; init; }
    public bool UsesTls => TlsCertificatePath is not null;

    public bool Cdr { get; init; }
    public string CdrPath { get; init; } = "/opt/openvidu/cdr";

    public int VideoMaxRecvBandwidth { get; init; } = 1000;
    public int VideoMinRecvBandwidth { get; init; } = 300;
    public int VideoMaxSendBandwidth { get; init; } = 1000;
    public int VideoMinSendBandwidth { get; init; } = 300;
    public ForcedVideoCodec ForcedVideoCodec { get; init; } = ForcedVideoCodec.MEDIA_SERVER_PREFERRED;
    public bool AllowTranscoding { get; init; }
    public IReadOnlyList<IceServer> IceServers { get; init; } = [];

    /// <summary><c>OPENVIDU_SESSIONS_GARBAGE_INTERVAL</c> in seconds; 0 disables. Defaults to 900.</summary>
    public int GarbageIntervalSeconds { get; init; } = 900;
    /// <summary><c>OPENVIDU_SESSIONS_GARBAGE_THRESHOLD</c> in seconds. Defaults to 3600.</summary>
    public int GarbageThresholdSeconds { get; init; } = 3600;

    public bool Recording { get; init; }
    public string RecordingPath { get; init; } = "/opt/openvidu/recordings";
    public bool RecordingPublicAccess { get; init; }
    public string RecordingNotification { get; init; } = "publisher_moderator";
    public int RecordingAutostopTimeoutSeconds { get; init; } = 120;

    public WebhookOptions Webhook { get; init; } = new();

    /// <summary>
    /// <c>SIGHTLINE_CAMERA_FILES_DIR</c>: the only folder <c>file://</c> cameras may read (its real path). Null (the default):
    /// every <c>file://</c> camera is refused. OpenVidu reads any path; Sightline does not let API clients read its disk.
    /// </summary>
    public string? CameraFilesDirectory { get; init; }

    /// <summary><c>SUPPORT_DEPRECATED_API</c>: pre-2.16 paths (<c>/api/…</c>, <c>/config</c>) rewritten. Defaults to true.</summary>
    public bool SupportDeprecatedApi { get; init; } = true;

    /// <summary>The <c>ws://</c>/<c>wss://</c> origin put in front of every token.</summary>
    public string TokenUrlBase
    {
        get
        {
            var scheme = PublicUrl.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
            return PublicUrl.IsDefaultPort ? $"{scheme}://{PublicUrl.Host}" : $"{scheme}://{PublicUrl.Host}:{PublicUrl.Port}";
        }
    }

    /// <summary>The public URL as OpenVidu prints it (no trailing slash).</summary>
    public string PublicUrlText => PublicUrl.GetLeftPart(UriPartial.Authority);
}

/// <summary>Webhook settings (<c>OPENVIDU_WEBHOOK*</c>) plus Sightline's delivery knobs.</summary>
public sealed record WebhookOptions
{
    public static readonly IReadOnlyList<string> AllEvents =
    [
        "sessionCreated", "sessionDestroyed", "participantJoined", "participantLeft", "webrtcConnectionCreated",
        "webrtcConnectionDestroyed", "recordingStatusChanged", "filterEventDispatched", "signalSent", "mediaNodeStatusChanged",
        "autoscaling", "nodeCrashed", "nodeRecovered", "broadcastStarted", "broadcastStopped",
    ];

    public bool Enabled { get; init; }
    public Uri? Endpoint { get; init; }
    /// <summary>Each header as (name, value), from <c>"Name: value"</c> strings.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];
    public IReadOnlyList<string> Events { get; init; } = AllEvents;
    /// <summary>Events waiting for delivery before new ones are dropped and counted (<c>SIGHTLINE_WEBHOOK_QUEUE</c>). Defaults to 10000.</summary>
    public int QueueCapacity { get; init; } = 10_000;
    /// <summary>Longest wait between two delivery attempts (<c>SIGHTLINE_WEBHOOK_MAX_BACKOFF_MS</c>). Defaults to 5 s.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>How long shutdown waits for the queue to drain (<c>SIGHTLINE_WEBHOOK_DRAIN_TIMEOUT_MS</c>). Defaults to 10 s.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Verify the endpoint's TLS certificate (<c>SIGHTLINE_WEBHOOK_VERIFY_TLS</c>). OpenVidu does not; defaults to false.</summary>
    public bool VerifyTls { get; init; }
}
