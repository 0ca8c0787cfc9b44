using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sightline.Sessions.Model;

namespace Sightline.Server.Configuration;

/// <summary>Reads <see cref="SightlineOptions"/> from configuration (environment variables) and says which key is wrong.</summary>
public static partial class OpenViduEnvironment
{
    public static SightlineOptions Read(IConfiguration config)
    {
        var errors = new List<string>();

        var port = Int(config, "SERVER_PORT", 4443, errors, min: 0, max: 65535);
        var secret = config["OPENVIDU_SECRET"] ?? "MY_SECRET";
        if (secret.Length == 0 || !SecretPattern().IsMatch(secret))
        {
            errors.Add("OPENVIDU_SECRET must be a non-empty string of [a-zA-Z0-9_-]");
        }

        var cert = Text(config, "SIGHTLINE_TLS_CERTIFICATE");
        var key = Text(config, "SIGHTLINE_TLS_KEY");
        if ((cert is null) != (key is null))
        {
            errors.Add("SIGHTLINE_TLS_CERTIFICATE and SIGHTLINE_TLS_KEY must be set together (PEM files)");
        }
        foreach (var (name, path) in new[] { ("SIGHTLINE_TLS_CERTIFICATE", cert), ("SIGHTLINE_TLS_KEY", key) })
        {
            if (path is not null && !File.Exists(path)) errors.Add($"{name}: file not found");
        }
        var tls = cert is not null && key is not null;

        var domain = Text(config, "DOMAIN_OR_PUBLIC_IP") ?? "localhost";
        int? httpsPort = config["HTTPS_PORT"] is { Length: > 0 } ? Int(config, "HTTPS_PORT", 443, errors, 1, 65535) : null;
        var forcePlain = Bool(config, "FORCE_PLAIN_HTTP", !tls, errors);
        Uri? publicUrl = null;
        if (Text(config, "OPENVIDU_PUBLICURL") is { } given)
        {
            if (!Uri.TryCreate(given, UriKind.Absolute, out publicUrl) || publicUrl.Scheme is not ("http" or "https"))
            {
                errors.Add("OPENVIDU_PUBLICURL must be an absolute http:// or https:// URL");
                publicUrl = null;
            }
        }
        if (publicUrl is null)
        {
            var scheme = forcePlain ? "http" : "https";
            var publicPort = httpsPort ?? port;
            var defaultPort = scheme == "https" ? 443 : 80;
            var authority = publicPort == defaultPort ? domain : $"{domain}:{publicPort}";
            if (!Uri.TryCreate($"{scheme}://{authority}", UriKind.Absolute, out publicUrl))
            {
                errors.Add("DOMAIN_OR_PUBLIC_IP is not a valid host name or address");
                publicUrl = new Uri("http://localhost:4443");
            }
        }

        var webhook = ReadWebhook(config, errors);

        var forcedCodec = ForcedVideoCodec.MEDIA_SERVER_PREFERRED;
        if (Text(config, "OPENVIDU_STREAMS_FORCED_VIDEO_CODEC") is { } codecText && !Enum.TryParse(codecText, false, out forcedCodec))
        {
            errors.Add("OPENVIDU_STREAMS_FORCED_VIDEO_CODEC must be one of MEDIA_SERVER_PREFERRED, NONE, VP8, VP9, H264");
        }

        var cameraFiles = Text(config, "SIGHTLINE_CAMERA_FILES_DIR");
        if (cameraFiles is not null)
        {
            try
            {
                cameraFiles = new Sightline.Media.Ingest.CameraFiles(cameraFiles).Directory;
            }
            catch (ArgumentException)
            {
                errors.Add($"SIGHTLINE_CAMERA_FILES_DIR must be an existing folder, got '{cameraFiles}'");
                cameraFiles = null;
            }
        }

        var options = new SightlineOptions
        {
            ServerPort = port,
            ServerAddress = Text(config, "SERVER_ADDRESS") ?? "0.0.0.0",
            Secret = secret,
            DomainOrPublicIp = domain,
            HttpsPort = httpsPort,
            PublicUrl = publicUrl,
            TlsCertificatePath = tls ? cert : null,
            TlsKeyPath = tls ? key : null,
            Cdr = Bool(config, "OPENVIDU_CDR", false, errors),
            CdrPath = Text(config, "OPENVIDU_CDR_PATH") ?? "/opt/openvidu/cdr",
            VideoMaxRecvBandwidth = Int(config, "OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH", 1000, errors, 0),
            VideoMinRecvBandwidth = Int(config, "OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH", 300, errors, 0),
            VideoMaxSendBandwidth = Int(config, "OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH", 1000, errors, 0),
            VideoMinSendBandwidth = Int(config, "OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH", 300, errors, 0),
            ForcedVideoCodec = forcedCodec,
            AllowTranscoding = Bool(config, "OPENVIDU_STREAMS_ALLOW_TRANSCODING", false, errors),
            IceServers = ReadIceServers(config, errors),
            GarbageIntervalSeconds = Int(config, "OPENVIDU_SESSIONS_GARBAGE_INTERVAL", 900, errors, 0),
            GarbageThresholdSeconds = Int(config, "OPENVIDU_SESSIONS_GARBAGE_THRESHOLD", 3600, errors, 0),
            Recording = Bool(config, "OPENVIDU_RECORDING", false, errors),
            RecordingPath = Text(config, "OPENVIDU_RECORDING_PATH") ?? "/opt/openvidu/recordings",
            RecordingPublicAccess = Bool(config, "OPENVIDU_RECORDING_PUBLIC_ACCESS", false, errors),
            RecordingNotification = Text(config, "OPENVIDU_RECORDING_NOTIFICATION") ?? "publisher_moderator",
            RecordingAutostopTimeoutSeconds = Int(config, "OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT", 120, errors, 0),
            Webhook = webhook,
            SupportDeprecatedApi = Bool(config, "SUPPORT_DEPRECATED_API", true, errors),
            CameraFilesDirectory = cameraFiles,
        };

        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Invalid configuration:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", errors));
        }
        return options;
    }

    private static WebhookOptions ReadWebhook(IConfiguration config, List<string> errors)
    {
        var enabled = Bool(config, "OPENVIDU_WEBHOOK", false, errors);
        Uri? endpoint = null;
        if (Text(config, "OPENVIDU_WEBHOOK_ENDPOINT") is { } text)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https"))
            {
                errors.Add("OPENVIDU_WEBHOOK_ENDPOINT must be an absolute http:// or https:// URL");
                endpoint = null;
            }
        }
        else if (enabled)
        {
            errors.Add("OPENVIDU_WEBHOOK_ENDPOINT is required when OPENVIDU_WEBHOOK=true");
        }

        var headers = new List<KeyValuePair<string, string>>();
        foreach (var h in StringArray(config, "OPENVIDU_WEBHOOK_HEADERS", errors) ?? [])
        {
            var sep = h.IndexOf(": ", StringComparison.Ordinal);
            if (sep <= 0 || sep + 2 >= h.Length)
            {
                errors.Add($"OPENVIDU_WEBHOOK_HEADERS: '{h}' is not \"Name: value\"");
                continue;
            }
            headers.Add(new(h[..sep], h[(sep + 2)..]));
        }

        var events = StringArray(config, "OPENVIDU_WEBHOOK_EVENTS", errors) ?? WebhookOptions.AllEvents;
        foreach (var e in events)
        {
            if (!WebhookOptions.AllEvents.Contains(e)) errors.Add($"OPENVIDU_WEBHOOK_EVENTS: unknown event '{e}'");
        }

        return new WebhookOptions
        {
            Enabled = enabled,
            Endpoint = endpoint,
            Headers = headers,
            Events = events,
            QueueCapacity = Int(config, "SIGHTLINE_WEBHOOK_QUEUE", 10_000, errors, 1),
            MaxBackoff = TimeSpan.FromMilliseconds(Int(config, "SIGHTLINE_WEBHOOK_MAX_BACKOFF_MS", 5000, errors, 1)),
            DrainTimeout = TimeSpan.FromMilliseconds(Int(config, "SIGHTLINE_WEBHOOK_DRAIN_TIMEOUT_MS", 10_000, errors, 0)),
            VerifyTls = Bool(config, "SIGHTLINE_WEBHOOK_VERIFY_TLS", false, errors),
        };
    }

    // OpenVidu's format: ["url=turn:host:3478,username=u,credential=p", "url=stun:host:3478"].
    private static List<IceServer> ReadIceServers(IConfiguration config, List<string> errors)
    {
        var list = new List<IceServer>();
        foreach (var entry in StringArray(config, "OPENVIDU_WEBRTC_ICE_SERVERS", errors) ?? [])
        {
            string? url = null, user = null, credential = null, secret = null;
            foreach (var part in entry.Split(','))
            {
                var eq = part.IndexOf('=');
                if (eq <= 0) continue;
                var value = part[(eq + 1)..].Trim();
                switch (part[..eq].Trim())
                {
                    case "url": url = value; break;
                    case "username": user = value; break;
                    case "credential": credential = value; break;
                    case "staticAuthSecret": secret = value; break;
                }
            }
            if (url is null)
            {
                errors.Add($"OPENVIDU_WEBRTC_ICE_SERVERS: '{entry}' has no url=");
                continue;
            }
            list.Add(new IceServer(url, user, credential, secret));
        }
        return list;
    }

    private static string? Text(IConfiguration config, string key) => config[key] is { Length: > 0 } v ? v.Trim() : null;

    private static int Int(IConfiguration config, string key, int fallback, List<string> errors, int min = int.MinValue, int max = int.MaxValue)
    {
        var text = Text(config, key);
        if (text is null) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            errors.Add($"{key} must be an integer between {min} and {max}, got '{text}'");
            return fallback;
        }
        return value;
    }

    private static bool Bool(IConfiguration config, string key, bool fallback, List<string> errors)
    {
        var text = Text(config, key);
        if (text is null) return fallback;
        if (!bool.TryParse(text, out var value))
        {
            errors.Add($"{key} must be true or false, got '{text}'");
            return fallback;
        }
        return value;
    }

    private static List<string>? StringArray(IConfiguration config, string key, List<string> errors)
    {
        var text = Text(config, key);
        if (text is null) return null;
        try
        {
            var list = JsonSerializer.Deserialize<List<string>>(text);
            if (list is null) throw new JsonException();
            return list;
        }
        catch (JsonException)
        {
            errors.Add($"{key} must be a JSON array of strings, got '{text}'");
            return null;
        }
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]+$")]
    private static partial Regex SecretPattern();
}
