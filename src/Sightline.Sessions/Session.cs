using Sightline.Sessions.Events;
using Sightline.Sessions.Ids;
using Sightline.Sessions.Model;

namespace Sightline.Sessions;

/// <summary>
/// One OpenVidu session: its connections (pending tokens and active participants), their streams and subscriptions.
/// Every change happens under the session's lock and raises its events there, so the events of a session are totally ordered.
/// </summary>
public sealed class Session
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Connection> _connections = new(StringComparer.Ordinal);
    private readonly SessionRegistry _registry;
    private bool _everActive;

    internal Session(SessionRegistry registry, string sessionId, long createdAt, SessionProperties properties)
    {
        _registry = registry;
        SessionId = sessionId;
        CreatedAt = createdAt;
        UniqueSessionId = sessionId + "_" + createdAt.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Properties = properties;
    }

    public string SessionId { get; }
    /// <summary><c>&lt;sessionId&gt;_&lt;creation ms&gt;</c>: tells apart two sessions that reused one custom id.</summary>
    public string UniqueSessionId { get; }
    public long CreatedAt { get; }
    public SessionProperties Properties { get; }
    public bool IsClosed { get; private set; }

    /// <summary>True while a recording of this session runs: the session then outlives its last participant (the
    /// recording's automatic stop closes it).</summary>
    public bool IsRecording
    {
        get { lock (_gate) return _recording; }
    }

    private bool _recording;

    /// <summary>Marks the session as recording or not and raises the recording's status change, in the session's event order.</summary>
    public void ReportRecording(bool recording, RecordingStatusChanged change)
    {
        lock (_gate)
        {
            _recording = recording;
            if (!IsClosed || change.Recording.Status is RecordingStatus.stopped or RecordingStatus.ready or RecordingStatus.failed) Raise(change);
        }
    }

    /// <summary>True once a participant has joined; such a session closes when its last participant leaves.</summary>
    public bool EverActive
    {
        get { lock (_gate) return _everActive; }
    }

    public SessionSnapshot Snapshot()
    {
        lock (_gate)
        {
            var active = new List<Connection>();
            var pending = new List<Connection>();
            foreach (var c in _connections.Values)
            {
                (c.IsActive ? active : pending).Add(c);
            }
            return new SessionSnapshot(SessionId, UniqueSessionId, CreatedAt, _recording, Properties, active, pending);
        }
    }

    public Connection? FindConnection(string connectionId)
    {
        lock (_gate) return _connections.GetValueOrDefault(connectionId);
    }

    /// <summary>Creates a pending WEBRTC connection with a fresh token (no event: nothing happens until the token is used).</summary>
    public SessionError CreateConnection(ConnectionProperties properties, out Connection? connection)
    {
        connection = null;
        lock (_gate)
        {
            if (IsClosed) return SessionError.SessionNotFound;
            string id;
            do { id = _registry.Ids.NewConnectionId(); } while (_connections.ContainsKey(id));
            var tokenValue = _registry.Ids.NewTokenValue();
            connection = new Connection
            {
                ConnectionId = id,
                SessionId = SessionId,
                Status = ConnectionStatus.Pending,
                CreatedAt = _registry.Now(),
                Properties = WithDefaultIceServers(properties),
                TokenValue = tokenValue,
                Token = _registry.Options.TokenUrlBase + "?sessionId=" + SessionId + "&token=" + tokenValue,
            };
            _connections.Add(id, connection);
            return SessionError.None;
        }
    }

    /// <summary>
    /// Adds an IP camera as OpenVidu does: an active participant (platform <c>IPCAM</c>) that publishes one <c>IPCAM</c> stream
    /// at once. Raises <see cref="ParticipantJoined"/> then <see cref="WebRtcConnectionCreated"/>.
    /// </summary>
    /// <param name="ip">The camera host's resolved address, or null when it did not resolve.</param>
    public SessionError AddIpCamera(ConnectionProperties properties, CameraUri uri, string? ip, out Connection? connection)
    {
        connection = null;
        if (properties.IpCamera is null) throw new ArgumentException("IPCAM properties are required", nameof(properties));
        lock (_gate)
        {
            if (IsClosed) return SessionError.SessionNotFound;
            string id;
            do { id = IpCameraIds.ConnectionId(uri, _registry.Ids.NewCameraTag()); } while (_connections.ContainsKey(id));
            var createdAt = _registry.Now();
            var camera = new Connection
            {
                ConnectionId = id,
                SessionId = SessionId,
                Status = ConnectionStatus.Active,
                CreatedAt = createdAt,
                ActiveAt = createdAt,
                Properties = WithDefaultIceServers(properties with { Role = null, KurentoOptions = null }),
                Location = "unknown",
                Ip = ip,
                Platform = "IPCAM",
                ClientData = null,
            };
            _connections.Add(id, camera);
            _everActive = true;
            Raise(new ParticipantJoined(SessionId, UniqueSessionId, createdAt, camera));

            var stream = new PublishedStream(
                StreamIds.Create("IPCAM", _registry.Ids.NewStreamTag(), id), id, _registry.Now(), MediaOptions.IpCamera, properties.IpCamera);
            camera = camera with { Publisher = stream };
            _connections[id] = camera;
            Raise(new WebRtcConnectionCreated(SessionId, UniqueSessionId, stream.CreatedAt, stream, null));
            connection = camera;
            return SessionError.None;
        }
    }

    /// <summary>A browser uses its token: the pending connection becomes an active participant (<see cref="ParticipantJoined"/>).</summary>
    public SessionError Join(string tokenValue, string? ip, string platform, string clientData, out Connection? connection)
    {
        connection = null;
        lock (_gate)
        {
            if (IsClosed) return SessionError.SessionNotFound;
            Connection? pending = null;
            foreach (var c in _connections.Values)
            {
                if (!c.IsActive && c.TokenValue == tokenValue)
                {
                    pending = c;
                    break;
                }
            }
            if (pending is null) return SessionError.TokenNotFound;
            var now = _registry.Now();
            connection = pending with
            {
                Status = ConnectionStatus.Active,
                ActiveAt = now,
                Location = "unknown",
                Ip = ip,
                Platform = platform,
                ClientData = clientData,
            };
            _connections[connection.ConnectionId] = connection;
            _everActive = true;
            Raise(new ParticipantJoined(SessionId, UniqueSessionId, now, connection));
            return SessionError.None;
        }
    }

    /// <summary>An active participant starts publishing (<see cref="WebRtcConnectionCreated"/>, OUTBOUND).</summary>
    public SessionError Publish(string connectionId, MediaOptions mediaOptions, out PublishedStream? stream)
    {
        stream = null;
        lock (_gate)
        {
            if (IsClosed) return SessionError.SessionNotFound;
            if (!_connections.TryGetValue(connectionId, out var c)) return SessionError.ConnectionNotFound;
            if (!c.IsActive) return SessionError.ConnectionNotActive;
            if (c.Publisher is not null) return SessionError.AlreadyPublishing;
            var type = mediaOptions.HasVideo ? mediaOptions.TypeOfVideo ?? "CAMERA" : "MICROPHONE";
            stream = new PublishedStream(StreamIds.Create(type, _registry.Ids.NewStreamTag(), connectionId), connectionId, _registry.Now(), mediaOptions, null);
            _connections[connectionId] = c with { Publisher = stream };
            Raise(new WebRtcConnectionCreated(SessionId, UniqueSessionId, stream.CreatedAt, stream, null));
            return SessionError.None;
        }
    }

    /// <summary>A participant subscribes to a published stream (<see cref="WebRtcConnectionCreated"/>, INBOUND).</summary>
    public SessionError Subscribe(string subscriberConnectionId, string streamId, out Subscription? subscription)
    {
        subscription = null;
        lock (_gate)
        {
            if (IsClosed) return SessionError.SessionNotFound;
            if (!_connections.TryGetValue(subscriberConnectionId, out var subscriber)) return SessionError.ConnectionNotFound;
            if (!subscriber.IsActive) return SessionError.ConnectionNotActive;
            var stream = FindStream(streamId);
            if (stream is null) return SessionError.StreamNotFound;
            foreach (var s in subscriber.Subscriptions)
            {
                if (s.StreamId == streamId) return SessionError.AlreadySubscribed;
            }
            subscription = new Subscription(streamId, stream.ConnectionId, _registry.Now());
            _connections[subscriberConnectionId] = subscriber with { Subscriptions = [.. subscriber.Subscriptions, subscription] };
            Raise(new WebRtcConnectionCreated(SessionId, UniqueSessionId, subscription.CreatedAt, stream, subscriberConnectionId));
            return SessionError.None;
        }
    }

    /// <summary>A participant stops receiving a stream (<see cref="WebRtcConnectionDestroyed"/>, INBOUND).</summary>
    public SessionError Unsubscribe(string subscriberConnectionId, string streamId, EndReason reason)
    {
        lock (_gate)
        {
            if (IsClosed) return SessionError.SessionNotFound;
            if (!_connections.TryGetValue(subscriberConnectionId, out var subscriber)) return SessionError.ConnectionNotFound;
            var stream = FindStream(streamId);
            Subscription? found = null;
            foreach (var s in subscriber.Subscriptions)
            {
                if (s.StreamId == streamId) found = s;
            }
            if (found is null) return SessionError.NotSubscribed;
            DropSubscription(subscriber, found, stream, reason);
            return SessionError.None;
        }
    }

    /// <summary>A participant stops publishing; its subscribers lose the stream first.</summary>
    public SessionError Unpublish(string connectionId, EndReason reason)
    {
        lock (_gate)
        {
            if (IsClosed) return SessionError.SessionNotFound;
            if (!_connections.TryGetValue(connectionId, out var c)) return SessionError.ConnectionNotFound;
            if (c.Publisher is null) return SessionError.StreamNotFound;
            EndStream(c, reason);
            return SessionError.None;
        }
    }

    /// <summary><c>DELETE …/stream/{id}</c>: unpublishes a browser's stream; a camera's stream is refused.</summary>
    public SessionError ForceUnpublish(string streamId)
    {
        lock (_gate)
        {
            if (IsClosed) return SessionError.SessionNotFound;
            if (!_everActive || !HasParticipants()) return SessionError.SessionNotActive;
            var stream = FindStream(streamId);
            if (stream is null) return SessionError.StreamNotFound;
            if (stream.IpCamera is not null || StreamIds.IsIpCameraStream(streamId)) return SessionError.IpCameraStreamCannotBeUnpublished;
            EndStream(_connections[stream.ConnectionId], EndReason.forceUnpublishByServer);
            return SessionError.None;
        }
    }

    /// <summary>
    /// Removes a connection: a pending one silently (its token dies), an active one by eviction (its subscriptions, the
    /// subscriptions to its stream, its stream, then <see cref="ParticipantLeft"/>). The last participant leaving closes the session.
    /// </summary>
    public SessionError RemoveConnection(string connectionId, EndReason reason)
    {
        var closeSession = false;
        lock (_gate)
        {
            if (IsClosed) return SessionError.SessionNotFound;
            if (!_connections.TryGetValue(connectionId, out var c)) return SessionError.ConnectionNotFound;
            if (!c.IsActive)
            {
                _connections.Remove(connectionId);
                return SessionError.None;
            }
            Evict(c, reason);
            if (!HasParticipants() && reason != EndReason.sessionClosedByServer && !_recording)
            {
                CloseLocked(EndReason.lastParticipantLeft);
                closeSession = true;
            }
        }
        if (closeSession) _registry.Forget(this);
        return SessionError.None;
    }

    /// <summary>Changes a connection's role and/or record flag (OpenVidu Pro's <c>PATCH</c>; a Sightline extension in CE).</summary>
    public SessionError UpdateConnection(string connectionId, OpenViduRole? role, bool? record, out Connection? connection)
    {
        connection = null;
        lock (_gate)
        {
            if (IsClosed) return SessionError.SessionNotFound;
            if (!_connections.TryGetValue(connectionId, out var c)) return SessionError.ConnectionNotFound;
            if (role is not null && c.IsIpCamera) return SessionError.WrongConnectionType;
            var props = c.Properties with
            {
                Role = role ?? c.Properties.Role,
                Record = record ?? c.Properties.Record,
            };
            connection = c with { Properties = props };
            _connections[connectionId] = connection;
            return SessionError.None;
        }
    }

    /// <summary>Sends a signal to some participants (all when <paramref name="to"/> is empty). <paramref name="from"/> null = the server.</summary>
    public SessionError SendSignal(string? from, IReadOnlyList<string> to, string? type, string? data, out IReadOnlyList<string> recipients)
    {
        recipients = [];
        lock (_gate)
        {
            if (IsClosed) return SessionError.SessionNotFound;
            if (!HasParticipants()) return SessionError.SessionNotActive;
            if (to.Count == 0)
            {
                var all = new List<string>();
                foreach (var c in _connections.Values)
                {
                    if (c.IsActive) all.Add(c.ConnectionId);
                }
                recipients = all;
            }
            else
            {
                foreach (var id in to)
                {
                    if (!_connections.TryGetValue(id, out var c) || !c.IsActive) return SessionError.InvalidRecipient;
                }
                recipients = [.. to];
            }
            Raise(new SignalSent(SessionId, UniqueSessionId, _registry.Now(), from, recipients, type, data));
            return SessionError.None;
        }
    }

    /// <summary>Closes the session: every participant is evicted with <paramref name="reason"/>, then <see cref="SessionDestroyed"/>.</summary>
    public void Close(EndReason reason)
    {
        lock (_gate)
        {
            if (IsClosed) return;
            foreach (var c in _connections.Values.ToList())
            {
                if (c.IsActive) Evict(c, reason);
            }
            CloseLocked(reason);
        }
        _registry.Forget(this);
    }

    /// <summary>Removes a never-joined session without any event (OpenVidu's garbage collector).</summary>
    internal bool TryCollect(long olderThan)
    {
        lock (_gate)
        {
            if (IsClosed || _everActive || CreatedAt > olderThan) return false;
            IsClosed = true;
            _connections.Clear();
            return true;
        }
    }

    private void CloseLocked(EndReason reason)
    {
        _connections.Clear();
        IsClosed = true;
        Raise(new SessionDestroyed(SessionId, UniqueSessionId, _registry.Now(), CreatedAt, reason));
    }

    private void Evict(Connection c, EndReason reason)
    {
        foreach (var s in c.Subscriptions)
        {
            DropSubscription(_connections[c.ConnectionId], s, FindStream(s.StreamId), reason);
        }
        c = _connections[c.ConnectionId];
        if (c.Publisher is not null)
        {
            EndStream(c, reason);
        }
        c = _connections[c.ConnectionId];
        _connections.Remove(c.ConnectionId);
        Raise(new ParticipantLeft(SessionId, UniqueSessionId, _registry.Now(), c, c.ActiveAt ?? c.CreatedAt, reason));
    }

    private void EndStream(Connection publisher, EndReason reason)
    {
        var stream = publisher.Publisher!;
        foreach (var other in _connections.Values.ToList())
        {
            foreach (var s in other.Subscriptions)
            {
                if (s.StreamId == stream.StreamId)
                {
                    DropSubscription(other, s, stream, reason);
                }
            }
        }
        publisher = _connections[publisher.ConnectionId];
        _connections[publisher.ConnectionId] = publisher with { Publisher = null };
        Raise(new WebRtcConnectionDestroyed(SessionId, UniqueSessionId, _registry.Now(), stream, null, stream.CreatedAt, reason));
    }

    private void DropSubscription(Connection subscriber, Subscription subscription, PublishedStream? stream, EndReason reason)
    {
        var remaining = new List<Subscription>(subscriber.Subscriptions.Count);
        foreach (var s in subscriber.Subscriptions)
        {
            if (!ReferenceEquals(s, subscription)) remaining.Add(s);
        }
        _connections[subscriber.ConnectionId] = subscriber with { Subscriptions = remaining };
        if (stream is not null)
        {
            Raise(new WebRtcConnectionDestroyed(SessionId, UniqueSessionId, _registry.Now(), stream, subscriber.ConnectionId, subscription.CreatedAt, reason));
        }
    }

    private PublishedStream? FindStream(string streamId)
    {
        foreach (var c in _connections.Values)
        {
            if (c.Publisher is { } p && p.StreamId == streamId) return p;
        }
        return null;
    }

    private bool HasParticipants()
    {
        foreach (var c in _connections.Values)
        {
            if (c.IsActive) return true;
        }
        return false;
    }

    private ConnectionProperties WithDefaultIceServers(ConnectionProperties p) =>
        p.CustomIceServers.Count == 0 && _registry.Options.DefaultIceServers.Count > 0
            ? p with { CustomIceServers = _registry.Options.DefaultIceServers }
            : p;

    private void Raise(SessionEvent e) => _registry.Events.Raise(e);
}
