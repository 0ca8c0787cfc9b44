using System.Text.Json;
using System.Text.Json.Nodes;
using static Sightline.Server.Tests.Http;

namespace Sightline.Server.Tests.Signaling;

/// <summary>A browser that joined a session through /openvidu, as openvidu-browser does (ping with its interval, then joinRoom).</summary>
public sealed class Viewer : IAsyncDisposable
{
    private Viewer(RpcClient rpc, string connectionId)
    {
        Rpc = rpc;
        ConnectionId = connectionId;
    }

    public RpcClient Rpc { get; }
    public string ConnectionId { get; }

    public static async Task<Viewer> JoinAsync(RunningServer server, string sessionId)
    {
        var token = (await PostAsync(server.Client, $"/openvidu/api/sessions/{sessionId}/connection", "{\"role\":\"SUBSCRIBER\"}")).Json!.Value.GetProperty("token").GetString()!;
        var rpc = await RpcClient.ConnectAsync(server.BaseUrl, sessionId);
        await rpc.CallAsync("ping", new JsonObject { ["interval"] = 5000 });
        var joined = await rpc.CallAsync("joinRoom", new JsonObject
        {
            ["token"] = token, ["session"] = sessionId, ["platform"] = "Chrome 156.0.0.0 on Linux 64-bit", ["sdkVersion"] = "2.32.2",
            ["metadata"] = "{\"clientData\":\"viewer\"}", ["secret"] = "", ["recorder"] = false, ["stt"] = false,
        });
        return new Viewer(rpc, joined["result"]!["id"]!.ToString());
    }

    /// <summary>A camera published in the session: its connection id and stream id.</summary>
    public static async Task<(string ConnectionId, string StreamId)> PublishCameraAsync(RunningServer server, string sessionId, string uri, bool onlyPlayWithSubscribers = true)
    {
        var cam = await AddCameraAsync(server.Client, sessionId, uri, $",\"adaptativeBitrate\":false,\"onlyPlayWithSubscribers\":{(onlyPlayWithSubscribers ? "true" : "false")}");
        return (cam.GetProperty("id").GetString()!, cam.GetProperty("publishers")[0].GetProperty("streamId").GetString()!);
    }

    /// <summary>The camera's <c>cameraStatus</c> in its Connection JSON.</summary>
    public static async Task<JsonElement> CameraStatusAsync(RunningServer server, string sessionId, string cameraConnectionId) =>
        (await GetAsync(server.Client, $"/openvidu/api/sessions/{sessionId}/connection/{cameraConnectionId}")).Json!.Value.GetProperty("cameraStatus");

    public ValueTask DisposeAsync() => Rpc.DisposeAsync();
}
