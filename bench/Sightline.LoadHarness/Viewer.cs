using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Sightline.Rtp.Rtp;
using Sightline.WebRtc.Client;

namespace Sightline.LoadHarness;

/// <summary>
/// One simulated browser: a token from the REST API, the real signaling WebSocket (joinRoom, receiveVideoFrom), then a
/// <see cref="WebRtcClient"/> that decrypts every packet, sends NACKs and receiver reports, and measures the delay of
/// each frame's first packet (send time written by the fake camera) and the time to the first keyframe.
/// </summary>
public sealed class Viewer : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly WebRtcClient _client = new();
    private readonly List<double> _delaysMs = [];
    private long _subscribeTicks;
    private uint _frameTimestamp;
    private long _frameSentTicks;
    private int _id;

    public double? FirstKeyframeMs { get; private set; }
    public WebRtcClient Client => _client;

    public static async Task<Viewer> ConnectAsync(HttpClient rest, Uri server, string sessionId, string streamId)
    {
        var viewer = new Viewer();
        var response = await rest.PostAsync($"/openvidu/api/sessions/{sessionId}/connection", new StringContent("{\"role\":\"SUBSCRIBER\"}", Encoding.UTF8, "application/json"));
        var token = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!.ToString();
        await viewer._socket.ConnectAsync(new Uri($"ws://{server.Authority}/openvidu?sessionId={sessionId}"), CancellationToken.None);
        await viewer.CallAsync("joinRoom", new JsonObject { ["token"] = token, ["session"] = sessionId, ["platform"] = "Sightline load harness", ["metadata"] = "", ["secret"] = "", ["recorder"] = false, ["stt"] = false, ["sdkVersion"] = "2.32.2" });
        viewer._client.PacketReceived = viewer.OnPacket;
        viewer._subscribeTicks = Stopwatch.GetTimestamp();
        var answer = await viewer.CallAsync("receiveVideoFrom", new JsonObject { ["sender"] = streamId, ["sdpOffer"] = viewer._client.CreateOffer() });
        await viewer._client.ConnectAsync(answer["sdpAnswer"]!.ToString(), TimeSpan.FromSeconds(30));
        return viewer;
    }

    /// <summary>Takes the delays measured since the last call.</summary>
    public List<double> DrainDelays()
    {
        lock (_delaysMs)
        {
            var copy = new List<double>(_delaysMs);
            _delaysMs.Clear();
            return copy;
        }
    }

    private void OnPacket(ReadOnlyMemory<byte> packet)
    {
        var span = packet.Span;
        if (!RtpPacket.TryParse(span, out var rtp) || rtp.PayloadType == 97) return;
        var payload = span.Slice(rtp.PayloadOffset, rtp.PayloadLength);
        if (payload.Length < 11) return;
        var type = payload[0] & 0x1f;
        // A frame's big NAL starts with an FU-A start fragment whose body begins with the camera's send time; the
        // camera sends a frame's packets together, so every packet of that frame is timed against it.
        if (type == 28 && (payload[1] & 0x80) != 0)
        {
            _frameTimestamp = rtp.Timestamp;
            _frameSentTicks = BinaryPrimitives.ReadInt64BigEndian(payload[2..]);
            if ((payload[1] & 0x1f) == 5 && FirstKeyframeMs is null) FirstKeyframeMs = Stopwatch.GetElapsedTime(_subscribeTicks).TotalMilliseconds;
        }
        else if (type == 24 && FirstKeyframeMs is null)
        {
            FirstKeyframeMs = Stopwatch.GetElapsedTime(_subscribeTicks).TotalMilliseconds;
        }
        if (_frameSentTicks != 0 && rtp.Timestamp == _frameTimestamp)
        {
            var delay = Stopwatch.GetElapsedTime(_frameSentTicks).TotalMilliseconds;
            lock (_delaysMs) _delaysMs.Add(delay);
        }
    }

    private async Task<JsonObject> CallAsync(string method, JsonObject parameters)
    {
        var id = _id++;
        var frame = new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method, ["params"] = parameters, ["id"] = id };
        await _socket.SendAsync(Encoding.UTF8.GetBytes(frame.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var ms = new MemoryStream();
            WebSocketReceiveResult r;
            do
            {
                r = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                ms.Write(buffer, 0, r.Count);
            } while (!r.EndOfMessage);
            var message = JsonNode.Parse(ms.ToArray())!.AsObject();
            if (message["id"]?.GetValue<int>() != id) continue; // notifications
            if (message["error"] is { } error) throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
            return message["result"]!.AsObject();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        await _client.DisposeAsync();
    }

    public static HttpClient Rest(Uri server, string secret)
    {
        var http = new HttpClient { BaseAddress = server };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("OPENVIDUAPP:" + secret)));
        return http;
    }
}
