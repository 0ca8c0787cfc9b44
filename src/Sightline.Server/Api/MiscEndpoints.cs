using System.Text.Json;
using Sightline.Server.Configuration;
using Sightline.Sessions;
using Sightline.Sessions.Model;

namespace Sightline.Server.Api;

/// <summary>The legacy tokens route, REST signals, configuration, health and the recordings switch (OpenVidu 2.32 §7).</summary>
public static class MiscEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/tokens", CreateTokenAsync);
        api.MapPost("/signal", SendSignalAsync);
        api.MapGet("/config", Config);
        api.MapGet("/config/openvidu-version", (SightlineOptions o) => Results.Text(SightlineOptions.Version));
        api.MapMethods("/config/openvidu-publicurl", [HttpMethods.Get, HttpMethods.Head], (SightlineOptions o) => Results.Text(o.PublicUrlText));
        api.MapGet("/config/openvidu-recording", (SightlineOptions o) => Results.Text(o.Recording ? "true" : "false"));
        api.MapGet("/config/openvidu-recording-path", (SightlineOptions o) => Results.Text(o.RecordingPath));
        api.MapGet("/config/openvidu-cdr", (SightlineOptions o) => Results.Text(o.Cdr ? "true" : "false"));
        // OpenVidu Pro's liveness route (absent in CE): a Sightline extension.
        api.MapGet("/health", () => new JsonResponse(w =>
        {
            w.WriteStartObject();
            w.WriteString("status", "UP");
            w.WriteEndObject();
        }));
        // Sightline extension: runtime figures for operators and the load harness (allocations, GC, media port counters).
        api.MapGet("/sightline/runtime", (Cameras.CameraService cameras) => new JsonResponse(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("allocatedBytes", GC.GetTotalAllocatedBytes(precise: false));
            w.WriteNumber("gen0Collections", GC.CollectionCount(0));
            w.WriteNumber("gen1Collections", GC.CollectionCount(1));
            w.WriteNumber("gen2Collections", GC.CollectionCount(2));
            w.WriteNumber("workingSetBytes", Environment.WorkingSet);
            w.WriteNumber("mediaPacketsSent", cameras.Mux.PacketsSent);
            w.WriteNumber("mediaBytesSent", cameras.Mux.BytesSent);
            w.WriteNumber("cameraSources", cameras.Pool.Count);
            w.WriteStartArray("cameras");
            foreach (var source in cameras.Pool.Sources()) Cameras.CameraMetrics.Write(w, source);
            w.WriteEndArray();
            w.WriteEndObject();
        }));
    }

    private static async Task<IResult> CreateTokenAsync(HttpRequest request, SessionRegistry registry, TimeProvider time)
    {
        const string path = "/openvidu/api/tokens";
        var (doc, error) = await RequestBody.ReadAsync(request, path, time);
        if (error is not null) return error;
        using (doc)
        {
            if (doc is null) return ApiError.Json(StatusCodes.Status400BadRequest, "Error in body parameters. Cannot be empty", path, time);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return ApiError.Json(StatusCodes.Status400BadRequest, "Type error in some parameter: " + ApiError.JavaCastMessage(root, "java.util.Map"), path, time);
            }
            if (RequestBody.Member(root, "session") is not { } sessionElement)
            {
                return ApiError.Json(StatusCodes.Status400BadRequest, "\"session\" parameter is mandatory", path, time);
            }
            foreach (var name in new[] { "session", "role", "data" })
            {
                if (RequestBody.Member(root, name) is { ValueKind: not JsonValueKind.String } bad)
                {
                    return ApiError.Json(StatusCodes.Status400BadRequest, "Type error in some parameter: " + ApiError.JavaCastMessage(bad, "java.lang.String"), path, time);
                }
            }
            var sessionId = sessionElement.GetString()!;
            if (registry.Find(sessionId) is not { } session)
            {
                return ApiError.Json(StatusCodes.Status404NotFound, $"Session {sessionId} not found", path, time);
            }

            // The legacy body is a WEBRTC connection body without "record" and "type".
            using var connectionBody = JsonDocument.Parse(JsonSerializer.Serialize(new
            {
                role = RequestBody.Member(root, "role")?.GetString(),
                data = RequestBody.Member(root, "data")?.GetString(),
                kurentoOptions = RequestBody.Member(root, "kurentoOptions"),
            }));
            var props = PropertiesReader.ReadConnection(connectionBody.RootElement, out var message, out _);
            if (props is null)
            {
                return ApiError.Json(StatusCodes.Status400BadRequest, message!, $"/openvidu/api/sessions/{sessionId}/connection", time);
            }
            if (session.CreateConnection(props, out var c) != SessionError.None)
            {
                return ApiError.Json(StatusCodes.Status404NotFound, $"Session {sessionId} not found", path, time);
            }
            return new JsonResponse(w =>
            {
                w.WriteStartObject();
                w.WriteString("id", c!.Token);
                w.WriteString("token", c.Token);
                w.WriteNumber("createdAt", c.CreatedAt);
                w.WriteString("connectionId", c.ConnectionId);
                w.WriteString("session", sessionId);
                w.WriteString("data", c.Properties.Data);
                w.WriteString("role", c.Properties.Role?.ToString());
                if (c.Properties.KurentoOptions is { } k)
                {
                    w.WritePropertyName("kurentoOptions");
                    OpenViduJson.WriteKurentoOptions(w, k);
                }
                w.WriteEndObject();
            });
        }
    }

    private static async Task<IResult> SendSignalAsync(HttpRequest request, SessionRegistry registry, TimeProvider time)
    {
        const string path = "/openvidu/api/signal";
        var (doc, error) = await RequestBody.ReadAsync(request, path, time);
        if (error is not null) return error;
        using (doc)
        {
            if (doc is null) return ApiError.Json(StatusCodes.Status400BadRequest, "Error in body parameters. Cannot be empty", path, time);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return ApiError.Json(StatusCodes.Status400BadRequest, "Type error in some parameter: " + ApiError.JavaCastMessage(root, "java.util.Map"), path, time);
            }
            foreach (var name in new[] { "session", "type", "data" })
            {
                if (RequestBody.Member(root, name) is { ValueKind: not JsonValueKind.String } bad)
                {
                    return ApiError.Json(StatusCodes.Status400BadRequest, "Type error in some parameter: " + ApiError.JavaCastMessage(bad, "java.lang.String"), path, time);
                }
            }
            var to = new List<string>();
            if (RequestBody.Member(root, "to") is { } toElement)
            {
                if (toElement.ValueKind != JsonValueKind.Array)
                {
                    return ApiError.Json(StatusCodes.Status400BadRequest, "Type error in some parameter: " + ApiError.JavaCastMessage(toElement, "java.util.List"), path, time);
                }
                foreach (var item in toElement.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        return ApiError.Json(StatusCodes.Status406NotAcceptable, "\"to\" array has no valid connection identifiers", path, time);
                    }
                    to.Add(item.GetString()!);
                }
            }
            if (RequestBody.Member(root, "session") is not { } sessionElement)
            {
                return ApiError.Json(StatusCodes.Status400BadRequest, "\"session\" parameter is mandatory", path, time);
            }
            if (registry.Find(sessionElement.GetString()!) is not { } session) return ApiError.Empty(StatusCodes.Status404NotFound);
            var result = session.SendSignal(null, to, RequestBody.Member(root, "type")?.GetString(), RequestBody.Member(root, "data")?.GetString(), out _);
            return result switch
            {
                SessionError.None => Results.Ok(),
                SessionError.SessionNotActive => ApiError.Empty(StatusCodes.Status406NotAcceptable),
                SessionError.InvalidRecipient => ApiError.Json(StatusCodes.Status406NotAcceptable, "\"to\" array has no valid connection identifiers", path, time),
                _ => ApiError.Empty(StatusCodes.Status404NotFound),
            };
        }
    }

    private static IResult Config(SightlineOptions o) => new JsonResponse(w =>
    {
        w.WriteStartObject();
        w.WriteString("VERSION", SightlineOptions.Version);
        w.WriteString("DOMAIN_OR_PUBLIC_IP", o.DomainOrPublicIp);
        w.WriteNumber("HTTPS_PORT", o.HttpsPort ?? (o.PublicUrl.IsDefaultPort ? 443 : o.PublicUrl.Port));
        w.WriteString("OPENVIDU_PUBLICURL", o.PublicUrlText);
        w.WriteBoolean("OPENVIDU_CDR", o.Cdr);
        if (o.Cdr) w.WriteString("OPENVIDU_CDR_PATH", o.CdrPath);
        w.WriteNumber("OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH", o.VideoMaxRecvBandwidth);
        w.WriteNumber("OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH", o.VideoMinRecvBandwidth);
        w.WriteNumber("OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH", o.VideoMaxSendBandwidth);
        w.WriteNumber("OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH", o.VideoMinSendBandwidth);
        w.WriteString("OPENVIDU_STREAMS_FORCED_VIDEO_CODEC", o.ForcedVideoCodec.ToString());
        w.WriteBoolean("OPENVIDU_STREAMS_ALLOW_TRANSCODING", o.AllowTranscoding);
        w.WriteBoolean("OPENVIDU_WEBRTC_SIMULCAST", false);
        w.WriteNumber("OPENVIDU_SESSIONS_GARBAGE_INTERVAL", o.GarbageIntervalSeconds);
        w.WriteNumber("OPENVIDU_SESSIONS_GARBAGE_THRESHOLD", o.GarbageThresholdSeconds);
        w.WriteBoolean("OPENVIDU_RECORDING", o.Recording);
        if (o.Recording)
        {
            w.WriteString("OPENVIDU_RECORDING_VERSION", SightlineOptions.Version);
            w.WriteString("OPENVIDU_RECORDING_PATH", o.RecordingPath);
            w.WriteBoolean("OPENVIDU_RECORDING_PUBLIC_ACCESS", o.RecordingPublicAccess);
            w.WriteString("OPENVIDU_RECORDING_NOTIFICATION", o.RecordingNotification);
            w.WriteString("OPENVIDU_RECORDING_CUSTOM_LAYOUT", "");
            w.WriteNumber("OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT", o.RecordingAutostopTimeoutSeconds);
        }
        w.WriteBoolean("OPENVIDU_WEBHOOK", o.Webhook.Enabled);
        if (o.Webhook.Enabled)
        {
            w.WriteString("OPENVIDU_WEBHOOK_ENDPOINT", o.Webhook.Endpoint?.OriginalString);
            w.WriteStartArray("OPENVIDU_WEBHOOK_HEADERS");
            foreach (var h in o.Webhook.Headers) w.WriteStringValue(h.Key + ": " + h.Value);
            w.WriteEndArray();
            w.WriteStartArray("OPENVIDU_WEBHOOK_EVENTS");
            foreach (var e in o.Webhook.Events) w.WriteStringValue(e);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    });
}
