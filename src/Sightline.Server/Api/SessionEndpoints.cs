using Sightline.Server.Configuration;
using Sightline.Sessions;
using Sightline.Sessions.Model;

namespace Sightline.Server.Api;

/// <summary><c>/openvidu/api/sessions</c>: create, get, list, close (OpenVidu 2.32 §3).</summary>
public static class SessionEndpoints
{
    private const string SessionsPath = "/openvidu/api/sessions";

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/sessions", CreateAsync);
        api.MapGet("/sessions", List);
        api.MapGet("/sessions/{sessionId}", Get);
        api.MapDelete("/sessions/{sessionId}", Close);
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, SessionRegistry registry, SightlineOptions options, TimeProvider time)
    {
        var (doc, error) = await RequestBody.ReadAsync(request, SessionsPath, time);
        if (error is not null) return error;
        using (doc)
        {
            var defaults = new SessionProperties
            {
                ForcedVideoCodec = options.ForcedVideoCodec,
                AllowTranscoding = options.AllowTranscoding,
            };
            var props = PropertiesReader.ReadSession(doc?.RootElement, defaults, out var message);
            if (props is null) return ApiError.Json(StatusCodes.Status400BadRequest, message!, SessionsPath, time);
            if (!registry.TryCreate(props, out var session)) return ApiError.Empty(StatusCodes.Status409Conflict);
            var snapshot = session!.Snapshot();
            return new JsonResponse(w => OpenViduJson.WriteSession(w, snapshot, pendingConnections: false, webRtcStats: false));
        }
    }

    private static IResult Get(string sessionId, SessionRegistry registry, Cameras.CameraService cameras, bool? pendingConnections, bool? webRtcStats)
    {
        if (registry.Find(sessionId) is not { } session) return ApiError.Empty(StatusCodes.Status404NotFound);
        var snapshot = session.Snapshot();
        return new JsonResponse(w => OpenViduJson.WriteSession(w, snapshot, pendingConnections ?? false, webRtcStats ?? false, cameras.StatusOf));
    }

    private static IResult List(SessionRegistry registry, Cameras.CameraService cameras, bool? pendingConnections, bool? webRtcStats)
    {
        var snapshots = registry.All().Select(s => s.Snapshot()).ToList();
        return new JsonResponse(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("numberOfElements", snapshots.Count);
            w.WriteStartArray("content");
            foreach (var s in snapshots)
            {
                OpenViduJson.WriteSession(w, s, pendingConnections ?? false, webRtcStats ?? false, cameras.StatusOf);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static IResult Close(string sessionId, SessionRegistry registry)
    {
        if (registry.Find(sessionId) is not { } session) return ApiError.Empty(StatusCodes.Status404NotFound);
        session.Close(EndReason.sessionClosedByServer);
        return Results.NoContent();
    }
}
