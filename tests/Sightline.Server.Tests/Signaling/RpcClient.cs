using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Sightline.Server.Tests.Signaling;

/// <summary>A minimal JSON-RPC client speaking to /openvidu the way openvidu-browser does (ids from 0, params objects).</summary>
public sealed class RpcClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly ConcurrentQueue<JsonObject> _notifications = new();
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly List<int> _order = [];
    private int _nextId;
    private Task? _reader;

    public IReadOnlyCollection<JsonObject> Notifications => _notifications.ToArray();

    public static async Task<RpcClient> ConnectAsync(Uri server, string sessionId)
    {
        var c = new RpcClient();
        var ws = new UriBuilder(server) { Scheme = server.Scheme == "https" ? "wss" : "ws", Path = "/openvidu", Query = "sessionId=" + sessionId }.Uri;
        await c._socket.ConnectAsync(ws, CancellationToken.None);
        c._reader = c.ReadAsync();
        return c;
    }

    /// <summary>Sends a request and returns the whole response frame (with <c>result</c> or <c>error</c>).</summary>
    public async Task<JsonObject> CallAsync(string method, JsonObject? parameters = null) => await await SendAsync(method, parameters);

    /// <summary>
    /// Sends a request without waiting for its answer (as openvidu-browser does): the returned task is the response, within
    /// 10 s. Requests go out in the order of these calls.
    /// </summary>
    public async Task<Task<JsonObject>> SendAsync(string method, JsonObject? parameters = null)
    {
        var id = Interlocked.Increment(ref _nextId) - 1;
        var tcs = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = tcs;
        var frame = new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method, ["params"] = parameters ?? [], ["id"] = id };
        await _sendGate.WaitAsync();
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(frame.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        }
        finally
        {
            _sendGate.Release();
        }
        return tcs.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>The ids of the responses in the order they arrived.</summary>
    public IReadOnlyList<int> ResponseOrder
    {
        get { lock (_order) return [.. _order]; }
    }

    public async Task<JsonObject> WaitForNotificationAsync(string method, Func<JsonObject, bool>? match = null, int timeoutMs = 5000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (DateTime.UtcNow < deadline)
        {
            var n = _notifications.FirstOrDefault(x => x["method"]?.ToString() == method && (match is null || match((JsonObject)x["params"]!)));
            if (n is not null) return (JsonObject)n["params"]!;
            await Task.Delay(50);
        }
        throw new TimeoutException($"no {method} notification; got {string.Join(", ", _notifications.Select(x => x["method"]))}");
    }

    public void Abort() => _socket.Abort();

    /// <summary>Completes when the server closes the socket.</summary>
    public Task Closed => _reader ?? Task.CompletedTask;

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                using var ms = new MemoryStream();
                WebSocketReceiveResult r;
                do
                {
                    r = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                    ms.Write(buffer, 0, r.Count);
                } while (!r.EndOfMessage);
                if (r.MessageType == WebSocketMessageType.Close) return;
                var frame = (JsonObject)JsonNode.Parse(Encoding.UTF8.GetString(ms.ToArray()))!;
                if (frame["id"] is { } id && _pending.TryRemove(id.GetValue<int>(), out var tcs))
                {
                    lock (_order) _order.Add(id.GetValue<int>());
                    tcs.TrySetResult(frame);
                }
                else if (frame["method"] is not null) _notifications.Enqueue(frame);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        if (_reader is not null) await _reader;
    }
}
