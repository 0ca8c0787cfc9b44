using System.Text.Json;
using Microsoft.AspNetCore.StaticFiles;
using Sightline.Recording;
using Sightline.Sessions;

namespace Sightline.Server.Api;

/// <summary>
/// OpenVidu's recordings API (REST §7.3): start, stop, get, list, delete, with its status codes; and the recorded files
/// at <c>/openvidu/recordings/&lt;id&gt;/&lt;file&gt;</c> with range requests (a browser can seek). With
/// <c>OPENVIDU_RECORDING=false</c> every route answers 501, as OpenVidu does.
/// </summary>
public static class RecordingEndpoints
{
    public static void Map(RouteGroupBuilder api, IEndpointRouteBuilder app, bool enabled)
    {
        if (!enabled)
        {
            api.MapMethods("/recordings/{**rest}", [HttpMethods.Get, HttpMethods.Post, HttpMethods.Delete], () => ApiError.Empty(StatusCodes.Status501NotImplemented));
            api.MapMethods("/recordings", [HttpMethods.Get], () => ApiError.Empty(StatusCodes.Status501NotImplemented));
            return;
        }
        api.MapPost("/recordings/start", StartAsync);
        api.MapPost("/recordings/stop/{id}", async (string id, RecordingManager recordings) =>
        {
            var (recording, status) = await recordings.StopAsync(id);
            return recording is null ? ApiError.Empty(status) : new JsonResponse(w => RecordingJson.Write(w, recording));
        });
        api.MapGet("/recordings/{id}", (string id, RecordingManager recordings) =>
            recordings.Get(id) is { } r ? new JsonResponse(w => RecordingJson.Write(w, r)) : ApiError.Empty(StatusCodes.Status404NotFound));
        api.MapGet("/recordings", (RecordingManager recordings) =>
        {
            var all = recordings.List();
            return new JsonResponse(w =>
            {
                w.WriteStartObject();
                w.WriteNumber("count", all.Count);
                w.WriteStartArray("items");
                foreach (var r in all) RecordingJson.Write(w, r);
                w.WriteEndArray();
                w.WriteEndObject();
            });
        });
        api.MapDelete("/recordings/{id}", async (string id, RecordingManager recordings) => ApiError.Empty(await recordings.DeleteAsync(id)));

        var types = new FileExtensionContentTypeProvider();
        app.MapMethods("/openvidu/recordings/{id}/{file}", [HttpMethods.Get, HttpMethods.Head], (string id, string file, RecordingManager recordings) =>
        {
            if (recordings.FilePath(id, file) is not { } path) return Results.NotFound();
            if (!types.TryGetContentType(file, out var type)) type = file.EndsWith(".json", StringComparison.Ordinal) ? "application/json" : "application/octet-stream";
            return Results.File(path, type, enableRangeProcessing: true);
        });
    }

    private static async Task<IResult> StartAsync(HttpRequest request, SessionRegistry sessions, RecordingManager recordings, TimeProvider time)
    {
        const string path = "/openvidu/api/recordings/start";
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
            if (RequestBody.Member(root, "session") is not { } sessionElement)
            {
                return ApiError.Json(StatusCodes.Status400BadRequest, "\"session\" parameter is mandatory", path, time);
            }
            if (sessionElement.ValueKind != JsonValueKind.String)
            {
                return ApiError.Json(StatusCodes.Status400BadRequest, "Type error in some parameter: " + ApiError.JavaCastMessage(sessionElement, "java.lang.String"), path, time);
            }
            var session = sessions.Find(sessionElement.GetString()!);
            if (session is null) return ApiError.Empty(StatusCodes.Status404NotFound);
            // Fields the request leaves out come from the session's defaultRecordingProperties.
            var properties = PropertiesReader.ReadRecording(root, out var message, session.Properties.DefaultRecordingProperties);
            if (properties is null)
            {
                var status = message == PropertiesReader.NoMediaError ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status400BadRequest;
                return ApiError.Json(status, message!, path, time);
            }
            var result = await recordings.StartAsync(session.SessionId, properties);
            if (result.Recording is { } r) return new JsonResponse(w => RecordingJson.Write(w, r));
            if (result.Error is not null) return Results.Text(result.Error, "text/plain", statusCode: result.Status);
            return ApiError.Empty(result.Status);
        }
    }
}
