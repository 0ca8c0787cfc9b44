using System.Text.Json;
using Sightline.Sessions.Events;
using Sightline.Sessions.Model;

namespace Sightline.Server.Webhooks;

/// <summary>Builds OpenVidu's webhook bodies (§8): base keys, then the event's own keys, and <c>event</c> last.</summary>
public static class WebhookPayload
{
    /// <summary>The OpenVidu event name of a session event, or null for events that are not webhooks.</summary>
    public static string? NameOf(SessionEvent e) => e switch
    {
        SessionCreated => "sessionCreated",
        SessionDestroyed => "sessionDestroyed",
        ParticipantJoined => "participantJoined",
        ParticipantLeft => "participantLeft",
        WebRtcConnectionCreated => "webrtcConnectionCreated",
        WebRtcConnectionDestroyed => "webrtcConnectionDestroyed",
        SignalSent => "signalSent",
        RecordingStatusChanged => "recordingStatusChanged",
        _ => null,
    };

    public static byte[] Serialize(SessionEvent e)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            Write(w, e);
        }
        return buffer.ToArray();
    }

    public static void Write(Utf8JsonWriter w, SessionEvent e) => Write(w, e, includeEventName: true);

    /// <param name="includeEventName">False for CDR lines, where the name is the enclosing key instead.</param>
    public static void Write(Utf8JsonWriter w, SessionEvent e, bool includeEventName)
    {
        w.WriteStartObject();
        w.WriteString("sessionId", e.SessionId);
        w.WriteString("uniqueSessionId", e.UniqueSessionId);
        w.WriteNumber("timestamp", e.Timestamp);
        switch (e)
        {
            case SessionDestroyed d:
                WriteEnd(w, e.Timestamp, d.StartTime, d.Reason);
                break;
            case ParticipantJoined j:
                WriteParticipant(w, j.Connection);
                break;
            case ParticipantLeft l:
                WriteEnd(w, e.Timestamp, l.StartTime, l.Reason);
                WriteParticipant(w, l.Connection);
                break;
            case WebRtcConnectionCreated c:
                WriteMedia(w, c.Stream, c.SubscriberConnectionId);
                break;
            case WebRtcConnectionDestroyed d:
                WriteEnd(w, e.Timestamp, d.StartTime, d.Reason);
                WriteMedia(w, d.Stream, d.SubscriberConnectionId);
                break;
            case RecordingStatusChanged r:
                WriteRecording(w, r);
                break;
            case SignalSent s:
                w.WriteString("from", s.From);
                w.WriteStartArray("to");
                foreach (var id in s.To) w.WriteStringValue(id);
                w.WriteEndArray();
                w.WriteString("type", s.Type);
                w.WriteString("data", s.Data);
                break;
        }
        if (includeEventName) w.WriteString("event", NameOf(e));
        w.WriteEndObject();
    }

    /// <summary>One CDR line: <c>{"&lt;eventName&gt;":{…the webhook body without "event"…}}</c>.</summary>
    public static byte[] CdrLine(SessionEvent e)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WritePropertyName(NameOf(e)!);
            Write(w, e, includeEventName: false);
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    // §8.3: startTime (the recording's createdAt), duration (seconds, a double), reason from "stopped" on, then the
    // recording's fields and status; "error" (why it failed) is a Sightline extension.
    private static void WriteRecording(Utf8JsonWriter w, RecordingStatusChanged r)
    {
        var rec = r.Recording;
        var p = rec.Properties;
        w.WriteNumber("startTime", rec.CreatedAt);
        w.WriteNumber("duration", rec.Duration);
        if (r.Reason is { } reason) w.WriteString("reason", reason.ToString());
        w.WriteString("id", rec.Id);
        w.WriteString("name", rec.Name);
        w.WriteString("outputMode", p.OutputMode.ToString());
        if (p.IsComposedWithVideo)
        {
            w.WriteString("resolution", p.Resolution);
            w.WriteNumber("frameRate", p.FrameRate);
            w.WriteString("recordingLayout", p.RecordingLayout.ToString());
            if (p.RecordingLayout == RecordingLayout.CUSTOM) w.WriteString("customLayout", p.CustomLayout);
        }
        w.WriteBoolean("hasAudio", p.HasAudio);
        w.WriteBoolean("hasVideo", p.HasVideo);
        w.WriteNumber("size", rec.Size);
        w.WriteString("status", rec.Status.ToString());
        if (r.Error is not null) w.WriteString("error", r.Error);
    }

    private static void WriteEnd(Utf8JsonWriter w, long timestamp, long startTime, EndReason reason)
    {
        w.WriteNumber("startTime", startTime);
        w.WriteNumber("duration", Math.Max(0, (timestamp - startTime) / 1000));
        w.WriteString("reason", reason.ToString());
    }

    private static void WriteParticipant(Utf8JsonWriter w, Connection c)
    {
        w.WriteString("participantId", c.ConnectionId);
        w.WriteString("connectionId", c.ConnectionId);
        w.WriteString("location", c.Location);
        w.WriteString("ip", c.Ip);
        w.WriteString("platform", c.Platform);
        w.WriteString("clientData", c.IsIpCamera ? null : c.ClientData);
        w.WriteString("serverData", c.Properties.Data);
    }

    private static void WriteMedia(Utf8JsonWriter w, PublishedStream stream, string? subscriberConnectionId)
    {
        var participant = subscriberConnectionId ?? stream.ConnectionId;
        w.WriteString("streamId", stream.StreamId);
        w.WriteString("participantId", participant);
        w.WriteString("connectionId", participant);
        if (subscriberConnectionId is not null)
        {
            w.WriteString("connection", "INBOUND");
            w.WriteString("receivingFrom", stream.ConnectionId);
        }
        else
        {
            w.WriteString("connection", "OUTBOUND");
            if (stream.IpCamera is { } cam)
            {
                w.WriteString("rtspUri", cam.RtspUri);
                w.WriteBoolean("adaptativeBitrate", cam.AdaptativeBitrate);
                w.WriteNumber("networkCache", cam.NetworkCache);
                w.WriteBoolean("onlyPlayWithSubscribers", cam.OnlyPlayWithSubscribers);
            }
        }
        var m = stream.MediaOptions;
        if (m.HasVideo)
        {
            w.WriteString("videoSource", m.TypeOfVideo);
            if (m.FrameRate is { } fr) w.WriteNumber("videoFramerate", fr);
            else w.WriteNull("videoFramerate");
            w.WriteString("videoDimensions", m.VideoDimensions);
        }
        w.WriteBoolean("audioEnabled", m.HasAudio && m.AudioActive);
        w.WriteBoolean("videoEnabled", m.HasVideo && m.VideoActive);
    }
}
