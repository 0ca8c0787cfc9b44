using System.Text.Json;
using Sightline.Sessions;
using Sightline.Sessions.Ids;
using Sightline.Sessions.Model;

namespace Sightline.Server.Api;

/// <summary><c>/openvidu/api/sessions/{id}/connection</c> and <c>…/stream</c>: browsers' tokens and IP cameras (OpenVidu 2.32 §4–5).</summary>
public static class ConnectionEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/sessions/{sessionId}/connection", CreateAsync);
        api.MapGet("/sessions/{sessionId}/connection", List);
        api.MapGet("/sessions/{sessionId}/connection/{connectionId}", Get);
        api.MapDelete("/sessions/{sessionId}/connection/{connectionId}", Delete);
        api.MapMethods("/sessions/{sessionId}/connection/{connectionId}", [HttpMethods.Patch], UpdateAsync);
        api.MapDelete("/sessions/{sessionId}/stream/{streamId}", DeleteStream);
    }

    private static async Task<IResult> CreateAsync(
        string sessionId, HttpRequest request, SessionRegistry registry, CameraHostResolver resolver, Cameras.CameraService cameras,
        Sightline.Media.Ingest.CameraFiles files, TimeProvider time)
    {
        var path = $"/openvidu/api/sessions/{sessionId}/connection";
        if (registry.Find(sessionId) is not { } session) return ApiError.Empty(StatusCodes.Status404NotFound);
        var (doc, error) = await RequestBody.ReadAsync(request, path, time);
        if (error is not null) return error;
        using (doc)
        {
            var props = PropertiesReader.ReadConnection(doc?.RootElement, out var message, out var missingRtspUri);
            if (props is null) return ApiError.Json(StatusCodes.Status400BadRequest, message!, path, time);

            Connection? connection;
            if (props.Type == ConnectionType.IPCAM)
            {
                if (session.IsClosed) return ApiError.Empty(StatusCodes.Status404NotFound);
                if (missingRtspUri)
                {
                    return ApiError.Json(StatusCodes.Status400BadRequest, "\"rtspUri\" parameter is not a valid rtsp uri", path, time);
                }
                // Deviation: OpenVidu plays any file:// path; Sightline only files below SIGHTLINE_CAMERA_FILES_DIR.
                if (FileCameraError(props.IpCamera!.RtspUri, files) is { } fileError)
                {
                    return ApiError.Json(StatusCodes.Status400BadRequest, fileError, path, time);
                }
                CameraUri.TryParse(props.IpCamera!.RtspUri, out var uri, out _);
                var ip = await resolver.ResolveAsync(uri!, request.HttpContext.RequestAborted);
                if (session.AddIpCamera(props, uri!, ip, out connection) != SessionError.None)
                {
                    return ApiError.Empty(StatusCodes.Status404NotFound);
                }
            }
            else if (session.CreateConnection(props, out connection) != SessionError.None)
            {
                return ApiError.Empty(StatusCodes.Status404NotFound);
            }
            return new JsonResponse(w => OpenViduJson.WriteConnection(w, connection!, webRtcStats: false, cameras.StatusOf));
        }
    }

    /// <summary>Why a <c>file://</c> camera may not be added (off, outside the folder…), in OpenVidu's message form; null when it may.</summary>
    public static string? FileCameraError(string rtspUri, Sightline.Media.Ingest.CameraFiles files) =>
        Sightline.Media.Ingest.CameraFiles.IsFileUri(rtspUri) && !files.TryResolve(rtspUri, out _, out var error)
            ? "Error in parameter 'rtspUri': " + error
            : null;

    private static IResult List(string sessionId, SessionRegistry registry, Cameras.CameraService cameras, bool? pendingConnections, bool? webRtcStats)
    {
        if (registry.Find(sessionId) is not { } session) return ApiError.Empty(StatusCodes.Status404NotFound);
        var s = session.Snapshot();
        IReadOnlyList<Connection> list = pendingConnections ?? true ? [.. s.ActiveConnections, .. s.PendingConnections] : s.ActiveConnections;
        return new JsonResponse(w => OpenViduJson.WriteConnectionList(w, list, webRtcStats ?? false, cameras.StatusOf));
    }

    private static IResult Get(string sessionId, string connectionId, SessionRegistry registry, Cameras.CameraService cameras)
    {
        // OpenVidu answers 400 (not 404) for an unknown session on this route.
        if (registry.Find(sessionId) is not { } session) return ApiError.Empty(StatusCodes.Status400BadRequest);
        if (session.FindConnection(connectionId) is not { } c) return ApiError.Empty(StatusCodes.Status404NotFound);
        return new JsonResponse(w => OpenViduJson.WriteConnection(w, c, webRtcStats: false, cameras.StatusOf));
    }

    private static IResult Delete(string sessionId, string connectionId, SessionRegistry registry)
    {
        if (registry.Find(sessionId) is not { } session) return ApiError.Empty(StatusCodes.Status400BadRequest);
        return session.RemoveConnection(connectionId, EndReason.forceDisconnectByServer) switch
        {
            SessionError.None => Results.NoContent(),
            SessionError.SessionNotFound => ApiError.Empty(StatusCodes.Status400BadRequest),
            _ => ApiError.Empty(StatusCodes.Status404NotFound),
        };
    }

    // OpenVidu Pro's updateConnection (CE answers 405): role and record of a connection. A Sightline extension.
    private static async Task<IResult> UpdateAsync(string sessionId, string connectionId, HttpRequest request, SessionRegistry registry, TimeProvider time)
    {
        var path = $"/openvidu/api/sessions/{sessionId}/connection/{connectionId}";
        if (registry.Find(sessionId) is not { } session) return ApiError.Empty(StatusCodes.Status404NotFound);
        if (session.FindConnection(connectionId) is null) return ApiError.Empty(StatusCodes.Status404NotFound);
        var (doc, error) = await RequestBody.ReadAsync(request, path, time);
        if (error is not null) return error;
        using (doc)
        {
            if (doc is null) return ApiError.Json(StatusCodes.Status400BadRequest, "Error in body parameters. Cannot be empty", path, time);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return ApiError.Json(StatusCodes.Status400BadRequest, "Type error in some parameter: " + ApiError.JavaCastMessage(root, "java.util.Map"), path, time);
            }
            OpenViduRole? role = null;
            bool? record = null;
            if (RequestBody.Member(root, "role") is { } r)
            {
                if (r.ValueKind != JsonValueKind.String || !Enum.TryParse<OpenViduRole>(r.GetString(), false, out var parsed) || !Enum.IsDefined(parsed))
                {
                    return ApiError.Json(StatusCodes.Status400BadRequest, $"Parameter role {r} is not defined", path, time);
                }
                role = parsed;
            }
            if (RequestBody.Member(root, "record") is { } rec)
            {
                if (rec.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    return ApiError.Json(StatusCodes.Status400BadRequest, "Type error in parameter 'record': " + ApiError.JavaCastMessage(rec, "java.lang.Boolean"), path, time);
                }
                record = rec.GetBoolean();
            }
            return session.UpdateConnection(connectionId, role, record, out var updated) switch
            {
                SessionError.None => new JsonResponse(w => OpenViduJson.WriteConnection(w, updated!, webRtcStats: false)),
                SessionError.WrongConnectionType => ApiError.Json(StatusCodes.Status400BadRequest, "The role of an IPCAM connection cannot be changed", path, time),
                _ => ApiError.Empty(StatusCodes.Status404NotFound),
            };
        }
    }

    private static IResult DeleteStream(string sessionId, string streamId, SessionRegistry registry)
    {
        if (registry.Find(sessionId) is not { } session) return ApiError.Empty(StatusCodes.Status400BadRequest);
        return session.ForceUnpublish(streamId) switch
        {
            SessionError.None => Results.NoContent(),
            SessionError.IpCameraStreamCannotBeUnpublished => ApiError.Empty(StatusCodes.Status405MethodNotAllowed),
            SessionError.SessionNotFound => ApiError.Empty(StatusCodes.Status400BadRequest),
            _ => ApiError.Empty(StatusCodes.Status404NotFound),
        };
    }
}
