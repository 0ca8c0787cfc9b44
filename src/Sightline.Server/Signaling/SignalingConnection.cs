using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Sightline.Server.Cameras;
using Sightline.Sessions;
using Sightline.Sessions.Ids;
using Sightline.Sessions.Model;

namespace Sightline.Server.Signaling;

/// <summary>
/// One browser's JSON-RPC 2.0 WebSocket (<c>/openvidu</c>) as openvidu-browser 2.32 speaks it. Requests do not wait
/// behind unrelated slow ones (a subscription waiting for its camera): each stream's requests run in arrival order in
/// their own lane, the rest in arrival order among themselves, and <c>joinRoom</c>/<c>connect</c>/<c>leaveRoom</c>
/// alone, after everything before them and before everything after (see <see cref="Schedule"/>). Responses keep their
/// request's id; they and the notifications are written by one sender loop from a bounded queue.
/// </summary>
public sealed class SignalingConnection
{
    private const int MaxMessageBytes = 1 << 20;
    /// <summary>Requests of one socket under way at once; beyond it the socket is not read until one ends.</summary>
    internal const int MaxInFlight = 32;
    private static readonly TimeSpan ReconnectGrace = TimeSpan.FromSeconds(10);

    private readonly WebSocket _socket;
    private readonly SessionRegistry _registry;
    private readonly SignalingHub _hub;
    private readonly CameraService _cameras;
    private readonly ILogger _logger;
    private readonly string? _remoteIp;
    private readonly Channel<string> _outgoing = Channel.CreateBounded<string>(new BoundedChannelOptions(1000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
    private string _privateId = Convert.ToHexString(RandomNumberGenerator.GetBytes(13)).ToLowerInvariant();
    private readonly Lock _stateGate = new();
    private CancellationTokenSource? _eviction;
    private bool _handedOver;
    private Session? _session;
    private string? _connectionId;
    private bool _left;
    private long _lastPingTicks;
    private TimeSpan _pingInterval = TimeSpan.FromSeconds(20);

    private readonly string _mediaServer;

    // Request scheduling, touched only by the reading loop (see Schedule).
    private readonly SemaphoreSlim _slots = new(MaxInFlight, MaxInFlight);
    private readonly Dictionary<string, Task> _lanes = new(StringComparer.Ordinal);
    private readonly List<Task> _sinceBarrier = [];
    private Task _barrier = Task.CompletedTask;
    private Task _unlaned = Task.CompletedTask;

    public SignalingConnection(WebSocket socket, SessionRegistry registry, SignalingHub hub, CameraService cameras, ILogger logger, string? remoteIp, string mediaServer = "kurento")
    {
        _mediaServer = mediaServer;
        _socket = socket;
        _registry = registry;
        _hub = hub;
        _cameras = cameras;
        _logger = logger;
        _remoteIp = remoteIp;
    }

    public async Task RunAsync(CancellationToken cancel)
    {
        var sender = SendLoopAsync(cancel);
        using var watchdogStop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var watchdog = PingWatchdogAsync(watchdogStop.Token);
        // Cancelled when the socket closes: requests still under way end (a subscription lets go of its camera).
        using var work = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        try
        {
            var buffer = new byte[16 * 1024];
            using var message = new MemoryStream();
            while (_socket.State == WebSocketState.Open && !cancel.IsCancellationRequested)
            {
                var result = await _socket.ReceiveAsync(buffer, cancel);
                if (result.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, result.Count);
                if (message.Length > MaxMessageBytes) break; // no OpenVidu message comes near 1 MiB
                if (!result.EndOfMessage) continue;
                var text = Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                message.SetLength(0);
                if (Parse(text) is not { } request) continue;
                if (request.Method is not ("ping" or "echo")) await _slots.WaitAsync(cancel);
                Schedule(request, work.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
        }
        finally
        {
            work.Cancel();
            await Task.WhenAll([.. _sinceBarrier, _barrier]);
            _outgoing.Writer.TryComplete();
            await sender;
            watchdogStop.Cancel();
            await watchdog;
            _slots.Dispose();
            OnSocketClosed();
        }
    }

    private sealed record Request(JsonNode Id, string Method, JsonObject Params);

    private static Request? Parse(string text)
    {
        JsonObject frame;
        try
        {
            frame = JsonNode.Parse(text) as JsonObject ?? throw new JsonException();
            // A notification from a client (no id) has nothing to answer.
            if (frame["id"]?.DeepClone() is not { } id) return null;
            var method = frame["method"] is JsonValue m && m.TryGetValue<string>(out var name) ? name : "";
            return new Request(id, method, frame["params"] as JsonObject ?? []);
        }
        catch (JsonException)
        {
            return null; // not JSON-RPC: dropped, as the kurento layer does
        }
    }

    /// <summary>
    /// Starts a request after the ones it must follow, without waiting for it (called by the reading loop only):
    /// <list type="bullet">
    /// <item><c>ping</c> and <c>echo</c> (liveness probes) at once;</item>
    /// <item><c>joinRoom</c>, <c>connect</c>, <c>leaveRoom</c> (they change who this socket is) after every request before
    /// them, and every later request after them;</item>
    /// <item>a stream's requests (<c>prepareReceiveVideoFrom</c>, <c>receiveVideoFrom</c>, <c>reconnectStream</c>,
    /// <c>onIceCandidate</c>, <c>unsubscribeFromVideo</c>, keyed by the publisher's connection id) after the previous one
    /// of that stream;</item>
    /// <item>any other request after the previous such one (signals keep their order).</item>
    /// </list>
    /// </summary>
    private void Schedule(Request request, CancellationToken cancel)
    {
        Task task;
        if (request.Method is "ping" or "echo")
        {
            _ = RunAfterAsync(Task.CompletedTask, request, cancel); // answered synchronously
            return;
        }
        if (request.Method is "joinRoom" or "connect" or "leaveRoom")
        {
            _sinceBarrier.Add(_barrier);
            task = RunAfterAsync(Task.WhenAll(_sinceBarrier), request, cancel);
            _barrier = _unlaned = task;
            _sinceBarrier.Clear();
            _lanes.Clear();
            return;
        }
        if (LaneOf(request) is { } lane)
        {
            task = RunAfterAsync(_lanes.GetValueOrDefault(lane, _barrier), request, cancel);
            if (_lanes.Count >= MaxInFlight) foreach (var (key, last) in _lanes) if (last.IsCompleted) _lanes.Remove(key);
            _lanes[lane] = task;
        }
        else
        {
            task = _unlaned = RunAfterAsync(_unlaned, request, cancel);
        }
        _sinceBarrier.RemoveAll(t => t.IsCompleted);
        _sinceBarrier.Add(task);
    }

    private static string? LaneOf(Request request)
    {
        var key = request.Method switch
        {
            "receiveVideoFrom" or "prepareReceiveVideoFrom" or "unsubscribeFromVideo" => request.Params["sender"],
            "reconnectStream" => request.Params["stream"],
            "onIceCandidate" => request.Params["endpointName"],
            _ => null,
        };
        if (key is not JsonValue value || !value.TryGetValue<string>(out var id)) return null;
        // Stream ids (receiveVideoFrom) and connection ids (unsubscribeFromVideo, onIceCandidate) meet on the publisher's id.
        return id.StartsWith("ipc_", StringComparison.Ordinal) || id.StartsWith("con_", StringComparison.Ordinal) ? id : PublisherOf(id);
    }

    private async Task RunAfterAsync(Task previous, Request request, CancellationToken cancel)
    {
        try
        {
            await previous; // never faults: every request's task ends normally
            await HandleAsync(request, cancel);
        }
        catch (OperationCanceledException)
        {
            // The socket closed while this request was under way: nobody is left to answer.
        }
        finally
        {
            if (request.Method is not ("ping" or "echo")) _slots.Release();
        }
    }

    // kurento-jsonrpc's watchdog, as OpenVidu enables it: after the first ping, three intervals without one close the
    // socket; the participant then leaves with networkDisconnect once the reconnection grace is over.
    private async Task PingWatchdogAsync(CancellationToken cancel)
    {
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancel);
                var last = Interlocked.Read(ref _lastPingTicks);
                if (last != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(last) > 3 * _pingInterval)
                {
                    _logger.LogInformation("Closing a signaling socket that sent no ping for {Seconds} s", (3 * _pingInterval).TotalSeconds);
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "Close for not receive ping from client", CancellationToken.None);
                    _socket.Abort();
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
        }
    }

    internal void Notify(string method, JsonNode? parameters)
    {
        var frame = new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method, ["params"] = parameters };
        _outgoing.Writer.TryWrite(frame.ToJsonString());
    }

    private void OnSocketClosed()
    {
        Session session;
        string id;
        CancellationTokenSource eviction;
        lock (_stateGate)
        {
            if (_left || _handedOver || _session is null || _connectionId is null) return;
            session = _session;
            id = _connectionId;
            eviction = _eviction = new CancellationTokenSource();
        }
        // The browser may come back within the grace period with "connect" on a new socket (RFC-less kurento rule:
        // 10 s); otherwise it leaves with networkDisconnect, as OpenVidu does.
        _ = Task.Delay(ReconnectGrace, eviction.Token).ContinueWith(t =>
        {
            if (t.IsCanceled) return;
            _hub.Forget(_privateId, this);
            session.RemoveConnection(id, EndReason.networkDisconnect);
        }, TaskScheduler.Default);
    }

    /// <summary>Gives this participant's state to a new socket (client reconnection); false when it already left.</summary>
    private bool TryHandOver(out Session? session, out string? connectionId)
    {
        lock (_stateGate)
        {
            session = _session;
            connectionId = _connectionId;
            if (_left || _handedOver || session is null || session.IsClosed || connectionId is null || session.FindConnection(connectionId) is null) return false;
            _handedOver = true;
            _eviction?.Cancel();
            return true;
        }
    }

    private JsonObject Reconnect(JsonObject p)
    {
        var privateId = p["sessionId"]?.ToString();
        if (privateId is null) return new JsonObject { ["value"] = "OK", ["sessionId"] = _privateId };
        var old = _hub.FindByPrivateId(privateId);
        if (old is null || ReferenceEquals(old, this) || !old.TryHandOver(out var session, out var connectionId)) throw new RpcError(40007, "reconnection error");
        lock (_stateGate)
        {
            _session = session;
            _connectionId = connectionId;
            _privateId = privateId;
        }
        _hub.Remember(privateId, this);
        _hub.Attach(session!.SessionId, connectionId!, this);
        return new JsonObject { ["value"] = "reconnection successful", ["sessionId"] = privateId };
    }

    private async Task SendLoopAsync(CancellationToken cancel)
    {
        try
        {
            await foreach (var text in _outgoing.Reader.ReadAllAsync(cancel))
            {
                if (_socket.State != WebSocketState.Open) continue;
                await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cancel);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
        }
    }

    private async Task HandleAsync(Request request, CancellationToken cancel)
    {
        var (id, method, p) = request;
        try
        {
            var result = await DispatchAsync(method, p, cancel);
            if (result is null) return; // OpenVidu answers some unknown requests with silence
            if (method is not ("ping" or "connect") && _session is not null) result["sessionId"] = _privateId;
            Send(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["result"] = result });
        }
        catch (RpcError e)
        {
            SendError(id, e.Code, e.Message);
        }
        catch (CameraUnavailableException e)
        {
            // 303 MEDIA_ENDPOINT_ERROR, OpenVidu's code for a publisher whose media endpoint is not there (302 is for SDP).
            SignalingLog.CameraCannotPlay(_logger, _connectionId ?? "?", e.StreamId, e.Readiness.Reason ?? "");
            SendError(id, 303, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning(e, "Signaling request {Method} failed", method);
            SendError(id, -1, e.GetType().Name + ":" + e.Message);
        }
    }

    private void SendError(JsonNode id, int code, string message) =>
        Send(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["error"] = new JsonObject { ["code"] = code, ["message"] = message } });

    private void Send(JsonObject frame) => _outgoing.Writer.TryWrite(frame.ToJsonString());

    private async Task<JsonObject?> DispatchAsync(string method, JsonObject p, CancellationToken cancel)
    {
        switch (method)
        {
            case "ping":
                if (Interlocked.Read(ref _lastPingTicks) == 0 && p["interval"] is { } interval && double.TryParse(interval.ToString(), System.Globalization.CultureInfo.InvariantCulture, out var ms) && ms > 0)
                {
                    _pingInterval = TimeSpan.FromMilliseconds(ms);
                }
                Interlocked.Exchange(ref _lastPingTicks, System.Diagnostics.Stopwatch.GetTimestamp());
                return new JsonObject { ["value"] = "pong" };
            case "connect":
                return Reconnect(p);
            case "joinRoom":
                return JoinRoom(p);
        }
        if (_session is null || _connectionId is null)
        {
            throw new RpcError(803, $"No connection found for participant with privateId {_privateId}. Method 'Session.connect()' must be the first operation called in any session");
        }
        switch (method)
        {
            case "receiveVideoFrom":
                return await ReceiveVideoFromAsync(p, cancel);
            case "reconnectStream" when p["sdpOffer"] is not null:
                // A subscriber re-negotiating after network trouble: a fresh peer connection replaces the old one.
                p["sender"] = p["stream"]?.DeepClone();
                return await ReceiveVideoFromAsync(p, cancel);
            case "onIceCandidate":
                Required(p, "endpointName", method);
                Required(p, "candidate", method);
                // ICE-lite: the browser's address is learnt from its connectivity checks; its candidates are not needed.
                return [];
            case "unsubscribeFromVideo":
                var sender = Required(p, "sender", method);
                var publisher = _session.FindConnection(sender)?.Publisher ?? throw new RpcError(102, $"User {sender} not found in session {_session.SessionId}");
                _session.Unsubscribe(_connectionId, publisher.StreamId, EndReason.unsubscribe);
                return [];
            case "leaveRoom":
                _left = true;
                _hub.Forget(_privateId, this);
                _session.RemoveConnection(_connectionId, EndReason.disconnect);
                _ = Task.Delay(ReconnectGrace).ContinueWith(_ => _socket.Abort(), TaskScheduler.Default);
                return [];
            case "sendMessage":
                return SendMessage(p);
            case "forceDisconnect":
                RequireModerator("Unable to force disconnect. The user does not have a valid token");
                var target = Required(p, "connectionId", method);
                if (_session.RemoveConnection(target, EndReason.forceDisconnectByUser) != SessionError.None)
                {
                    throw new RpcError(102, "Connection not found when calling 'forceDisconnect'");
                }
                return [];
            case "forceUnpublish":
                RequireModerator("Unable to force unpublish. The user does not have a valid token");
                var streamId = Required(p, "streamId", method);
                if (StreamIds.IsIpCameraStream(streamId))
                {
                    throw new RpcError(10, $"Stream '{streamId} belonging to an IPCAM participant cannot be unpublished. IPCAM streams can only be unpublished by forcing the disconnection of the IPCAM connection");
                }
                _session.ForceUnpublish(streamId);
                return [];
            case "publishVideo":
                throw new RpcError(302, "Unable to generate SDP answer: Sightline serves IP cameras and does not take media from browsers yet");
            case "prepareReceiveVideoFrom":
                return await PrepareReceiveVideoFromAsync(p, cancel);
            case "streamPropertyChanged" or "videoData" or "echo" or "unpublishVideo":
                return [];
            default:
                return null;
        }
    }

    private JsonObject JoinRoom(JsonObject p)
    {
        var token = Required(p, "token", "joinRoom");
        var sessionId = Required(p, "session", "joinRoom");
        var session = _registry.Find(sessionId) ?? throw new RpcError(202, $"Unable to join session. Session {sessionId} cannot be found");
        var tokenValue = TokenValueOf(token);
        var platform = p["platform"]?.ToString() ?? "unknown";
        var metadata = p["metadata"]?.ToString() ?? "";
        if (tokenValue is null || session.Join(tokenValue, _remoteIp, platform, metadata, out var me) != SessionError.None)
        {
            throw new RpcError(401, $"Unable to join session {sessionId}. Token {token} is not valid");
        }
        _session = session;
        _connectionId = me!.ConnectionId;
        _hub.Attach(session.SessionId, me.ConnectionId, this);
        _hub.Remember(_privateId, this);

        var others = new JsonArray();
        foreach (var c in session.Snapshot().ActiveConnections)
        {
            if (c.ConnectionId == me.ConnectionId) continue;
            var entry = new JsonObject { ["id"] = c.ConnectionId, ["createdAt"] = c.ActiveAt ?? c.CreatedAt, ["metadata"] = SignalingHub.Metadata(c) };
            if (c.Publisher is { } stream) entry["streams"] = new JsonArray(SignalingHub.StreamJson(stream));
            others.Add(entry);
        }
        var result = new JsonObject
        {
            ["id"] = me.ConnectionId,
            ["finalUserId"] = _privateId[..16].ToUpperInvariant(),
            ["createdAt"] = me.ActiveAt,
            ["metadata"] = SignalingHub.Metadata(me),
            ["value"] = others,
            ["session"] = session.SessionId,
            ["version"] = Configuration.SightlineOptions.Version,
            ["mediaServer"] = _mediaServer,
            ["videoSimulcast"] = false,
            ["record"] = me.Properties.Record,
            ["role"] = (me.Properties.Role ?? OpenViduRole.PUBLISHER).ToString(),
        };
        if (me.Properties.CustomIceServers.Count > 0)
        {
            var ice = new JsonArray();
            foreach (var s in me.Properties.CustomIceServers)
            {
                var o = new JsonObject { ["url"] = s.Url };
                if (!string.IsNullOrEmpty(s.Username)) o["username"] = s.Username;
                if (!string.IsNullOrEmpty(s.Credential)) o["credential"] = s.Credential;
                ice.Add(o);
            }
            result["customIceServers"] = ice;
        }
        return result;
    }

    private async Task<JsonObject> PrepareReceiveVideoFromAsync(JsonObject p, CancellationToken cancel)
    {
        var sender = Required(p, "sender", "prepareReceiveVideoFrom");
        Required(p, "reconnect", "prepareReceiveVideoFrom");
        var publisherId = PublisherOf(sender);
        CheckPublisher(sender, publisherId);
        var offer = await _cameras.PrepareSubscriptionAsync(_connectionId!, sender, cancel);
        return new JsonObject { ["sdpOffer"] = offer };
    }

    private static string PublisherOf(string sender) => StreamIds.IsIpCameraStream(sender) ? sender[sender.IndexOf("ipc_", StringComparison.Ordinal)..]
        : sender.LastIndexOf("con_", StringComparison.Ordinal) is var k and >= 0 ? sender[k..] : sender;

    private void CheckPublisher(string sender, string publisherId)
    {
        var publisher = _session!.FindConnection(publisherId) ?? throw new RpcError(102, $"User '{publisherId} not found in session '{_session.SessionId}'");
        if (publisher.Publisher?.StreamId != sender) throw new RpcError(105, $"User '{publisherId} not streaming media in session '{_session.SessionId}'");
        if (!_cameras.IsCamera(sender)) throw new RpcError(302, $"Unable to generate SDP answer when subscribing '{_connectionId}' to '{sender}'");
    }

    private async Task<JsonObject> ReceiveVideoFromAsync(JsonObject p, CancellationToken cancel)
    {
        var sender = Required(p, "sender", "receiveVideoFrom");
        if (p["sdpAnswer"] is { } sdpAnswer)
        {
            // Server-offered flow: the browser answers our prepareReceiveVideoFrom offer.
            CheckPublisher(sender, PublisherOf(sender));
            _cameras.CompleteSubscription(_connectionId!, sender, sdpAnswer.ToString());
            var state = _session!.Subscribe(_connectionId!, sender, out _);
            if (state is not (SessionError.None or SessionError.AlreadySubscribed))
            {
                _cameras.Release(_connectionId!, sender);
                throw new RpcError(105, $"Stream '{sender}' does not exist in Session '{_session.SessionId}'");
            }
            return [];
        }
        var offer = Required(p, "sdpOffer", "receiveVideoFrom");
        var publisherId = PublisherOf(sender);
        CheckPublisher(sender, publisherId);
        string answer;
        try
        {
            answer = await _cameras.SubscribeAsync(_connectionId!, sender, offer, cancel);
        }
        catch (SubscriptionRefusedException e)
        {
            // OpenVidu's MEDIA_SDP_ERROR, with the reason: openvidu-browser rejects the app's subscribe() with it.
            throw new RpcError(302, $"Unable to generate SDP answer when subscribing '{_connectionId}' to '{sender}': {e.Message}");
        }
        var error = _session!.Subscribe(_connectionId!, sender, out _);
        if (error is not (SessionError.None or SessionError.AlreadySubscribed))
        {
            // The session did not take it (the viewer or the camera left meanwhile): nothing else would end the peer.
            _cameras.Release(_connectionId!, sender);
            throw new RpcError(105, $"User '{publisherId} not streaming media in session '{_session.SessionId}'");
        }
        return new JsonObject { ["sdpAnswer"] = answer };
    }

    private JsonObject SendMessage(JsonObject p)
    {
        var raw = Required(p, "message", "sendMessage");
        JsonObject message;
        try
        {
            message = JsonNode.Parse(raw) as JsonObject ?? throw new JsonException();
        }
        catch (JsonException)
        {
            throw new RpcError(600, $"Provided signal object '{raw}' has not a valid JSON format");
        }
        var to = new List<string>();
        if (message["to"] is JsonArray array)
        {
            foreach (var item in array) if (item is not null) to.Add(item.ToString());
        }
        var result = _session!.SendSignal(_connectionId, to, message["type"]?.ToString(), message["data"]?.ToString(), out _);
        if (result == SessionError.InvalidRecipient) throw new RpcError(601, "Signal \"to\" field invalid format: some connectionId does not exist in this session");
        return [];
    }

    private void RequireModerator(string message)
    {
        if (_session!.FindConnection(_connectionId!)?.Properties.Role != OpenViduRole.MODERATOR) throw new RpcError(401, message);
    }

    private static string Required(JsonObject p, string key, string method) =>
        p[key]?.ToString() ?? throw new RpcError(-1, $"RuntimeException:Request element '{key}' is missing in RPC method '{method}'. Check that 'openvidu-server' and 'openvidu-browser' versions are compatible with each other");

    private static string? TokenValueOf(string token)
    {
        if (token.StartsWith("tok_", StringComparison.Ordinal)) return token;
        var q = token.IndexOf('?');
        if (q < 0) return null;
        foreach (var part in token[(q + 1)..].Split('&'))
        {
            if (part.StartsWith("token=", StringComparison.Ordinal)) return Uri.UnescapeDataString(part[6..]);
        }
        return null;
    }

    private sealed class RpcError(int code, string message) : Exception(message)
    {
        public int Code { get; } = code;
    }
}
