using System.Text.Json;

namespace Sightline.Server.Api;

/// <summary>OpenVidu's two error shapes: its own error JSON (<c>generateErrorResponse</c>), and a bare status code.</summary>
public static class ApiError
{
    /// <summary>
    /// <c>{"timestamp":…,"status":…,"error":"&lt;reason phrase&gt;","message":…,"path":…}</c>. <paramref name="path"/> is the
    /// fixed sub-path OpenVidu's code names, not always the request path.
    /// </summary>
    public static IResult Json(int status, string message, string path, TimeProvider time) =>
        new ErrorJsonResult(status, message, path, time.GetUtcNow().ToUnixTimeMilliseconds());

    /// <summary>An empty body with only the status code, as OpenVidu answers most 404/405/409 cases.</summary>
    public static IResult Empty(int status) => Results.StatusCode(status);

    /// <summary>The message Java's ClassCastException gives for a JSON value of the wrong type, as OpenVidu echoes it.</summary>
    public static string JavaCastMessage(JsonElement actual, string expectedJavaClass)
    {
        var actualClass = JavaClassOf(actual);
        return $"class {actualClass} cannot be cast to class {expectedJavaClass} ({actualClass} and {expectedJavaClass} are in module java.base of loader 'bootstrap')";
    }

    private static string JavaClassOf(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => "java.lang.String",
        JsonValueKind.True or JsonValueKind.False => "java.lang.Boolean",
        JsonValueKind.Number when e.TryGetInt32(out _) => "java.lang.Integer",
        JsonValueKind.Number when e.TryGetInt64(out _) => "java.lang.Long",
        JsonValueKind.Number => "java.lang.Double",
        JsonValueKind.Object => "java.util.LinkedHashMap",
        JsonValueKind.Array => "java.util.ArrayList",
        _ => "java.lang.Object",
    };

    private sealed class ErrorJsonResult(int status, string message, string path, long timestamp) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                w.WriteStartObject();
                w.WriteNumber("timestamp", timestamp);
                w.WriteNumber("status", status);
                w.WriteString("error", ReasonPhrases.For(status));
                w.WriteString("message", message);
                w.WriteString("path", path);
                w.WriteEndObject();
            }
            await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
        }
    }
}

/// <summary>HTTP reason phrases, as Spring writes them in error bodies.</summary>
public static class ReasonPhrases
{
    public static string For(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } p ? p : "Error";
}
