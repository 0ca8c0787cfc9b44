using System.Text.Json;
using Sightline.Sessions.Model;

namespace Sightline.Server.Api;

/// <summary>Writes sessions, connections and streams exactly as OpenVidu 2.32 serializes them (key order, explicit nulls).</summary>
public static class OpenViduJson
{
    public static void WriteSession(Utf8JsonWriter w, SessionSnapshot s, bool pendingConnections, bool webRtcStats, Func<string, Cameras.CameraStatus?>? cameras = null)
    {
        w.WriteStartObject();
        w.WriteString("id", s.SessionId);
        w.WriteString("object", "session");
        w.WriteString("sessionId", s.SessionId);
        w.WriteNumber("createdAt", s.CreatedAt);
        w.WriteBoolean("recording", s.Recording);
        w.WriteBoolean("broadcasting", false);
        w.WriteString("mediaMode", s.Properties.MediaMode.ToString());
        w.WriteString("recordingMode", s.Properties.RecordingMode.ToString());
        w.WritePropertyName("defaultRecordingProperties");
        WriteRecordingProperties(w, s.Properties.DefaultRecordingProperties);
        w.WriteString("customSessionId", s.Properties.CustomSessionId);
        if (s.Properties.MediaNodeId is { } node)
        {
            w.WriteStartObject("mediaNode");
            w.WriteString("id", node);
            w.WriteEndObject();
        }
        w.WriteString("forcedVideoCodec", s.Properties.ForcedVideoCodec.ToString());
        w.WriteBoolean("allowTranscoding", s.Properties.AllowTranscoding);
        w.WritePropertyName("connections");
        var list = pendingConnections ? [.. s.ActiveConnections, .. s.PendingConnections] : s.ActiveConnections;
        WriteConnectionList(w, list, webRtcStats, cameras);
        w.WriteEndObject();
    }

    public static void WriteConnectionList(Utf8JsonWriter w, IReadOnlyList<Connection> connections, bool webRtcStats, Func<string, Cameras.CameraStatus?>? cameras = null)
    {
        w.WriteStartObject();
        w.WriteNumber("numberOfElements", connections.Count);
        w.WriteStartArray("content");
        foreach (var c in connections)
        {
            WriteConnection(w, c, webRtcStats, cameras);
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void WriteRecordingProperties(Utf8JsonWriter w, RecordingProperties p)
    {
        w.WriteStartObject();
        w.WriteString("name", p.Name);
        w.WriteBoolean("hasAudio", p.HasAudio);
        w.WriteBoolean("hasVideo", p.HasVideo);
        w.WriteString("outputMode", p.OutputMode.ToString());
        if (p.IsComposedWithVideo)
        {
            w.WriteString("recordingLayout", p.RecordingLayout.ToString());
            w.WriteString("resolution", p.Resolution);
            w.WriteNumber("frameRate", p.FrameRate);
            w.WriteNumber("shmSize", p.ShmSize);
            if (p.RecordingLayout == RecordingLayout.CUSTOM)
            {
                w.WriteString("customLayout", p.CustomLayout);
            }
        }
        if (p.OutputMode == OutputMode.INDIVIDUAL)
        {
            w.WriteBoolean("ignoreFailedStreams", p.IgnoreFailedStreams);
        }
        if (p.MediaNode is { } node)
        {
            w.WriteString("mediaNode", node);
        }
        w.WriteEndObject();
    }

    public static void WriteConnection(Utf8JsonWriter w, Connection c, bool webRtcStats, Func<string, Cameras.CameraStatus?>? cameras = null)
    {
        var p = c.Properties;
        w.WriteStartObject();
        w.WriteString("id", c.ConnectionId);
        w.WriteString("object", "connection");
        w.WriteString("status", c.IsActive ? "active" : "pending");
        w.WriteString("connectionId", c.ConnectionId);
        w.WriteString("sessionId", c.SessionId);
        w.WriteNumber("createdAt", c.CreatedAt);
        if (c.IsActive)
        {
            WriteNullableNumber(w, "activeAt", c.ActiveAt);
            w.WriteString("location", c.Location);
            w.WriteString("ip", c.Ip);
            w.WriteString("platform", c.Platform);
            w.WriteString("token", c.IsIpCamera ? null : c.Token);
        }
        w.WriteString("type", p.Type.ToString());
        w.WriteBoolean("record", p.Record);
        w.WriteString("role", p.Role?.ToString());
        w.WritePropertyName("kurentoOptions");
        WriteKurentoOptions(w, p.KurentoOptions);
        w.WriteStartArray("customIceServers");
        foreach (var ice in p.CustomIceServers)
        {
            w.WriteStartObject();
            w.WriteString("url", ice.Url);
            if (!string.IsNullOrEmpty(ice.Username)) w.WriteString("username", ice.Username);
            if (!string.IsNullOrEmpty(ice.Credential)) w.WriteString("credential", ice.Credential);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        var cam = p.IpCamera;
        w.WriteString("rtspUri", cam?.RtspUri);
        WriteNullableBool(w, "adaptativeBitrate", cam?.AdaptativeBitrate);
        WriteNullableBool(w, "onlyPlayWithSubscribers", cam?.OnlyPlayWithSubscribers);
        WriteNullableNumber(w, "networkCache", cam?.NetworkCache);
        w.WriteString("serverData", p.Data);
        if (c.IsActive)
        {
            w.WriteString("clientData", c.ClientData);
            w.WriteStartArray("publishers");
            if (c.Publisher is { } stream)
            {
                WritePublisher(w, stream, webRtcStats);
            }
            w.WriteEndArray();
            w.WriteStartArray("subscribers");
            foreach (var s in c.Subscriptions)
            {
                w.WriteStartObject();
                if (webRtcStats) WriteWebRtcStatsPrefix(w, s.StreamId, null);
                w.WriteNumber("createdAt", s.CreatedAt);
                w.WriteString("streamId", s.StreamId);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            // Sightline extension, after OpenVidu's keys: where the camera stands (clients ignore unknown keys).
            if (c.IsIpCamera && cam is not null && cameras?.Invoke(cam.RtspUri) is { } status)
            {
                w.WriteStartObject("cameraStatus");
                w.WriteString("state", status.State);
                w.WriteString("transport", status.Transport);
                w.WriteNumber("viewers", status.Viewers);
                w.WriteString("lastErrorKind", status.LastErrorKind);
                w.WriteString("lastError", status.LastError);
                w.WriteEndObject();
            }
        }
        else
        {
            w.WriteString("token", c.Token);
            w.WriteNull("activeAt");
            w.WriteNull("location");
            w.WriteNull("ip");
            w.WriteNull("platform");
            w.WriteNull("clientData");
            w.WriteNull("publishers");
            w.WriteNull("subscribers");
        }
        w.WriteEndObject();
    }

    public static void WritePublisher(Utf8JsonWriter w, PublishedStream stream, bool webRtcStats)
    {
        var m = stream.MediaOptions;
        w.WriteStartObject();
        if (webRtcStats) WriteWebRtcStatsPrefix(w, stream.StreamId, stream.IpCamera);
        w.WriteNumber("createdAt", stream.CreatedAt);
        w.WriteString("streamId", stream.StreamId);
        if (stream.IpCamera is { } cam) w.WriteString("rtspUri", cam.RtspUri);
        w.WriteStartObject("mediaOptions");
        w.WriteBoolean("hasAudio", m.HasAudio);
        if (m.HasAudio) w.WriteBoolean("audioActive", m.AudioActive);
        w.WriteBoolean("hasVideo", m.HasVideo);
        if (m.HasVideo)
        {
            w.WriteBoolean("videoActive", m.VideoActive);
            w.WriteString("typeOfVideo", m.TypeOfVideo);
            WriteNullableNumber(w, "frameRate", m.FrameRate);
            w.WriteString("videoDimensions", m.VideoDimensions);
        }
        w.WriteStartObject("filter");
        w.WriteEndObject();
        if (stream.IpCamera is { } ipcam)
        {
            w.WriteBoolean("adaptativeBitrate", ipcam.AdaptativeBitrate);
            w.WriteBoolean("onlyPlayWithSubscribers", ipcam.OnlyPlayWithSubscribers);
            w.WriteNumber("networkCache", ipcam.NetworkCache);
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void WriteKurentoOptions(Utf8JsonWriter w, KurentoOptions? k)
    {
        if (k is null)
        {
            w.WriteNullValue();
            return;
        }
        w.WriteStartObject();
        WriteOptionalNumber(w, "videoMaxRecvBandwidth", k.VideoMaxRecvBandwidth);
        WriteOptionalNumber(w, "videoMinRecvBandwidth", k.VideoMinRecvBandwidth);
        WriteOptionalNumber(w, "videoMaxSendBandwidth", k.VideoMaxSendBandwidth);
        WriteOptionalNumber(w, "videoMinSendBandwidth", k.VideoMinSendBandwidth);
        if (k.AllowedFilters.Count > 0)
        {
            w.WriteStartArray("allowedFilters");
            foreach (var f in k.AllowedFilters) w.WriteStringValue(f);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    // With ?webRtcStats=true OpenVidu puts its endpoint's diagnostics first. The media layer does not feed these yet, so the
    // lists are empty; the keys are present so that tools reading them keep working.
    private static void WriteWebRtcStatsPrefix(Utf8JsonWriter w, string streamId, IpCameraProperties? camera)
    {
        w.WriteString("webrtcEndpointName", streamId);
        if (camera is null)
        {
            w.WriteNull("remoteSdp");
            w.WriteNull("localSdp");
        }
        w.WriteStartArray("clientIceCandidates");
        w.WriteEndArray();
        w.WriteStartArray("serverIceCandidates");
        w.WriteEndArray();
        w.WriteNull("localCandidate");
        w.WriteNull("remoteCandidate");
        w.WriteStartArray("events");
        w.WriteEndArray();
    }

    private static void WriteOptionalNumber(Utf8JsonWriter w, string name, int? value)
    {
        if (value is { } v) w.WriteNumber(name, v);
    }

    private static void WriteNullableNumber(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    private static void WriteNullableBool(Utf8JsonWriter w, string name, bool? value)
    {
        if (value is { } v) w.WriteBoolean(name, v);
        else w.WriteNull(name);
    }
}
