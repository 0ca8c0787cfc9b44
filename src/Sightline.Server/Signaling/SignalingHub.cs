using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sightline.Sessions.Events;
using Sightline.Sessions.Model;

namespace Sightline.Server.Signaling;

/// <summary>
/// Turns session events into the JSON-RPC notifications openvidu-browser expects (participantJoined, participantPublished,
/// participantUnpublished, participantLeft, participantEvicted, sendMessage), sent to the sockets of that session's
/// participants. Runs under the session's lock, so only enqueues.
/// </summary>
public sealed class SignalingHub(Configuration.SightlineOptions options, Sightline.Sessions.SessionRegistry sessions) : ISessionEventSink
{
    private readonly ConcurrentDictionary<string, SignalingConnection> _sockets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _members = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, SignalingConnection> _byPrivateId = new(StringComparer.Ordinal);

    /// <summary>Remembers a joined participant's socket by its private id, for a reconnecting client's <c>connect</c>.</summary>
    internal void Remember(string privateId, SignalingConnection socket) => _byPrivateId[privateId] = socket;

    internal void Forget(string privateId, SignalingConnection socket) =>
        _byPrivateId.TryRemove(new KeyValuePair<string, SignalingConnection>(privateId, socket));

    internal SignalingConnection? FindByPrivateId(string privateId) => _byPrivateId.GetValueOrDefault(privateId);

    internal void Attach(string sessionId, string connectionId, SignalingConnection socket)
    {
        _sockets[connectionId] = socket;
        _members.GetOrAdd(sessionId, _ => new(StringComparer.Ordinal))[connectionId] = 0;
    }

    internal void Detach(string sessionId, string connectionId)
    {
        _sockets.TryRemove(connectionId, out _);
        if (_members.TryGetValue(sessionId, out var m)) m.TryRemove(connectionId, out _);
    }

    public void OnEvent(SessionEvent e)
    {
        switch (e)
        {
            case ParticipantJoined j:
                ToOthers(e.SessionId, j.Connection.ConnectionId, "participantJoined", new JsonObject
                {
                    ["id"] = j.Connection.ConnectionId,
                    ["createdAt"] = j.Connection.ActiveAt ?? j.Connection.CreatedAt,
                    ["metadata"] = Metadata(j.Connection),
                });
                break;
            case WebRtcConnectionCreated { SubscriberConnectionId: null } published:
                ToOthers(e.SessionId, published.Stream.ConnectionId, "participantPublished", new JsonObject
                {
                    ["id"] = published.Stream.ConnectionId,
                    ["streams"] = new JsonArray(StreamJson(published.Stream)),
                });
                break;
            case WebRtcConnectionDestroyed { SubscriberConnectionId: null, Reason: EndReason.unpublish or EndReason.forceUnpublishByUser or EndReason.forceUnpublishByServer } unpublished:
                var p = new JsonObject { ["connectionId"] = unpublished.Stream.ConnectionId, ["reason"] = unpublished.Reason.ToString() };
                if (unpublished.Reason == EndReason.unpublish) ToOthers(e.SessionId, unpublished.Stream.ConnectionId, "participantUnpublished", p);
                else ToAll(e.SessionId, "participantUnpublished", p);
                break;
            case ParticipantLeft left:
                var id = left.Connection.ConnectionId;
                ToOthers(e.SessionId, id, "participantLeft", new JsonObject { ["connectionId"] = id, ["reason"] = left.Reason.ToString() });
                if (left.Reason is EndReason.forceDisconnectByServer or EndReason.forceDisconnectByUser or EndReason.sessionClosedByServer or EndReason.openviduServerStopped)
                {
                    // Everyone still there, the evicted one included, hears participantEvicted after participantLeft.
                    var evicted = new JsonObject { ["connectionId"] = id, ["reason"] = left.Reason.ToString() };
                    ToAll(e.SessionId, "participantEvicted", evicted);
                }
                Detach(e.SessionId, id);
                break;
            case SignalSent s:
                var message = new JsonObject { ["data"] = s.Data, ["type"] = s.Type };
                if (s.From is not null) message["from"] = s.From;
                foreach (var target in s.To)
                {
                    if (_sockets.TryGetValue(target, out var socket)) socket.Notify("sendMessage", message.DeepClone());
                }
                break;
            case SessionDestroyed d:
                _members.TryRemove(d.SessionId, out _);
                break;
            case RecordingStatusChanged r when r.Recording.Status is RecordingStatus.started or RecordingStatus.stopped:
                NotifyRecording(r);
                break;
        }
    }

    /// <summary>The <c>metadata</c> OpenVidu shows: client data, server data, or both joined by <c>%/%</c>.</summary>
    public static string Metadata(Connection c)
    {
        var client = c.IsIpCamera ? null : c.ClientData;
        var server = c.Properties.Data;
        if (!string.IsNullOrEmpty(client) && !string.IsNullOrEmpty(server)) return client + "%/%" + server;
        return !string.IsNullOrEmpty(client) ? client : server ?? "";
    }

    public static JsonObject StreamJson(PublishedStream s)
    {
        var m = s.MediaOptions;
        var o = new JsonObject
        {
            ["id"] = s.StreamId,
            ["createdAt"] = s.CreatedAt,
            ["hasAudio"] = m.HasAudio,
            ["hasVideo"] = m.HasVideo,
            ["audioActive"] = m.AudioActive,
            ["videoActive"] = m.VideoActive,
            ["typeOfVideo"] = m.TypeOfVideo,
        };
        if (m.FrameRate is { } fr) o["frameRate"] = fr;
        if (m.VideoDimensions is { } vd) o["videoDimensions"] = vd;
        o["filter"] = new JsonObject();
        return o;
    }

    private void ToOthers(string sessionId, string except, string method, JsonObject parameters)
    {
        if (!_members.TryGetValue(sessionId, out var members)) return;
        foreach (var id in members.Keys)
        {
            if (id != except && _sockets.TryGetValue(id, out var socket)) socket.Notify(method, parameters.DeepClone());
        }
    }

    // recordingStarted / recordingStopped go to the participants whose role OPENVIDU_RECORDING_NOTIFICATION names.
    private void NotifyRecording(RecordingStatusChanged r)
    {
        if (!_members.TryGetValue(r.SessionId, out var members)) return;
        var session = sessions.Find(r.SessionId);
        var method = r.Recording.Status == RecordingStatus.started ? "recordingStarted" : "recordingStopped";
        foreach (var id in members.Keys)
        {
            var role = session?.FindConnection(id)?.Properties.Role;
            var told = options.RecordingNotification switch
            {
                "all" => true,
                "moderator" => role == OpenViduRole.MODERATOR,
                "publisher_moderator" => role is OpenViduRole.PUBLISHER or OpenViduRole.MODERATOR,
                _ => false,
            };
            if (!told || !_sockets.TryGetValue(id, out var socket)) continue;
            var p = new JsonObject { ["id"] = r.Recording.Id, ["name"] = r.Recording.Name };
            if (r.Reason is { } reason) p["reason"] = reason.ToString();
            socket.Notify(method, p);
        }
    }

    private void ToAll(string sessionId, string method, JsonObject parameters) => ToOthers(sessionId, "", method, parameters);
}
