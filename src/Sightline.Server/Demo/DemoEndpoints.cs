using System.Text.Json;
using System.Text.Json.Nodes;
using Sightline.Server.Api;
using Sightline.Server.Cameras;
using Sightline.Sessions;
using Sightline.Sessions.Ids;
using Sightline.Sessions.Model;

namespace Sightline.Server.Demo;

/// <summary>
/// The demo camera wall at <c>/</c> (<c>SIGHTLINE_DEMO</c>, on by default): a page using openvidu-browser, and three small
/// backend routes under <c>/demo/api</c> that act for it as an application backend would, so the page never sees the
/// secret. Meant for trying Sightline out; turn it off where strangers can reach the server.
/// </summary>
public static class DemoEndpoints
{
    public static void Map(WebApplication app, IConfiguration config)
    {
        if (config["SIGHTLINE_DEMO"] is { } flag && flag.Equals("false", StringComparison.OrdinalIgnoreCase)) return;
        var dir = config["SIGHTLINE_DEMO_DIR"] ?? FindDemoDirectory();
        if (dir is null) return;
        var page = Path.Combine(dir, "index.html");
        var bundle = Path.Combine(dir, "node_modules", "openvidu-browser", "static", "js", "openvidu-browser-2.32.2.js");

        app.MapGet("/", () => Results.File(page, "text/html; charset=utf-8"));
        app.MapGet("/demo/openvidu-browser.js", () => File.Exists(bundle)
            ? Results.File(bundle, "text/javascript")
            : Results.Text("document.body.innerHTML = '<p style=\"color:#f88;padding:20px\">openvidu-browser is not installed: run ./run (it installs the demo with npm).</p>';", "text/javascript"));

        app.MapGet("/demo/api/sessions", (SessionRegistry registry, CameraService cameras) =>
        {
            var sessions = new JsonArray();
            foreach (var s in registry.All())
            {
                var list = new JsonArray();
                foreach (var c in s.Snapshot().ActiveConnections)
                {
                    if (c.Properties.IpCamera is not { } cam) continue;
                    var status = cameras.StatusOf(cam.RtspUri);
                    CameraUri.TryParse(cam.RtspUri, out var uri, out _);
                    list.Add(new JsonObject
                    {
                        ["connectionId"] = c.ConnectionId,
                        ["uri"] = uri?.Masked ?? "?",
                        ["name"] = c.Properties.Data,
                        ["state"] = status?.State ?? "unknown",
                        ["lastError"] = status?.LastError,
                    });
                }
                sessions.Add(new JsonObject { ["sessionId"] = s.SessionId, ["cameras"] = list });
            }
            return Results.Json(new JsonObject { ["sessions"] = sessions });
        });

        app.MapPost("/demo/api/cameras", async (HttpRequest request, SessionRegistry registry, CameraHostResolver resolver, Sightline.Media.Ingest.CameraFiles files, TimeProvider time) =>
        {
            var body = await JsonNode.ParseAsync(request.Body) as JsonObject;
            var sessionId = body?["sessionId"]?.ToString() ?? "demo";
            var rtspUri = body?["rtspUri"]?.ToString();
            var props = PropertiesReader.ReadSession(JsonDocument.Parse(new JsonObject { ["customSessionId"] = sessionId }.ToJsonString()).RootElement, new SessionProperties(), out var sessionError);
            if (props is null) return Results.Json(new { message = sessionError }, statusCode: 400);
            var session = registry.Find(sessionId);
            if (session is null && !registry.TryCreate(props, out session)) session = registry.Find(sessionId);
            // adaptativeBitrate on, as OpenVidu defaults it: viewers on good links get the camera untouched, the others a lighter rung.
            var cameraBody = JsonDocument.Parse(new JsonObject { ["type"] = "IPCAM", ["rtspUri"] = rtspUri, ["adaptativeBitrate"] = true, ["data"] = rtspUri is null ? "" : MaskedName(rtspUri) }.ToJsonString());
            var camera = PropertiesReader.ReadConnection(cameraBody.RootElement, out var error, out var missing);
            if (camera is null || missing) return Results.Json(new { message = error ?? "rtspUri is required" }, statusCode: 400);
            if (ConnectionEndpoints.FileCameraError(camera.IpCamera!.RtspUri, files) is { } fileError) return Results.Json(new { message = fileError }, statusCode: 400);
            CameraUri.TryParse(camera.IpCamera!.RtspUri, out var uri, out _);
            var ip = await resolver.ResolveAsync(uri!, request.HttpContext.RequestAborted);
            if (session!.AddIpCamera(camera, uri!, ip, out var connection) != SessionError.None) return Results.Json(new { message = "session closed" }, statusCode: 404);
            return Results.Json(new { connectionId = connection!.ConnectionId, sessionId });
        });

        app.MapPost("/demo/api/token", async (HttpRequest request, SessionRegistry registry) =>
        {
            var body = await JsonNode.ParseAsync(request.Body) as JsonObject;
            var sessionId = body?["sessionId"]?.ToString() ?? "";
            if (registry.Find(sessionId) is not { } session) return Results.Json(new { message = $"no session {sessionId}" }, statusCode: 404);
            session.CreateConnection(new ConnectionProperties { Role = OpenViduRole.SUBSCRIBER }, out var c);
            return Results.Json(new { token = c!.Token });
        });
    }

    private static string MaskedName(string rtspUri) => CameraUri.TryParse(rtspUri, out var u, out _) ? u!.Masked : rtspUri;

    private static string? FindDemoDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "demo");
            if (File.Exists(Path.Combine(candidate, "index.html"))) return candidate;
        }
        return null;
    }
}
