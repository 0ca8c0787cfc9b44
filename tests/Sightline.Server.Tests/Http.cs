using System.Net;
using System.Text;
using System.Text.Json;

namespace Sightline.Server.Tests;

/// <summary>Small helpers that send what openvidu-node-client sends and read what it reads.</summary>
public static class Http
{
    public static async Task<(HttpStatusCode Status, JsonElement? Json, string Text)> SendAsync(HttpClient client, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonElement? parsed = text.Length > 0 && response.Content.Headers.ContentType?.MediaType == "application/json"
            ? JsonDocument.Parse(text).RootElement.Clone()
            : null;
        return (response.StatusCode, parsed, text);
    }

    public static Task<(HttpStatusCode Status, JsonElement? Json, string Text)> PostAsync(HttpClient c, string path, string? json) => SendAsync(c, HttpMethod.Post, path, json);
    public static Task<(HttpStatusCode Status, JsonElement? Json, string Text)> GetAsync(HttpClient c, string path) => SendAsync(c, HttpMethod.Get, path);
    public static Task<(HttpStatusCode Status, JsonElement? Json, string Text)> DeleteAsync(HttpClient c, string path) => SendAsync(c, HttpMethod.Delete, path);

    public static string[] Keys(JsonElement e) => [.. e.EnumerateObject().Select(p => p.Name)];

    public static async Task<string> CreateSessionAsync(HttpClient c, string body = "{}")
    {
        var (status, json, text) = await PostAsync(c, "/openvidu/api/sessions", body);
        if (status != HttpStatusCode.OK) throw new InvalidOperationException($"create session: {status} {text}");
        return json!.Value.GetProperty("id").GetString()!;
    }

    public static async Task<JsonElement> AddCameraAsync(HttpClient c, string sessionId, string uri = "rtsp://127.0.0.1:8554/cam", string extra = "")
    {
        var (status, json, text) = await PostAsync(c, $"/openvidu/api/sessions/{sessionId}/connection", $"{{\"type\":\"IPCAM\",\"rtspUri\":\"{uri}\"{extra}}}");
        if (status != HttpStatusCode.OK) throw new InvalidOperationException($"add camera: {status} {text}");
        return json!.Value;
    }
}
