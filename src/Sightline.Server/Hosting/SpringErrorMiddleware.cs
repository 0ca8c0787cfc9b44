using System.Text.Json;

namespace Sightline.Server.Hosting;

/// <summary>
/// For errors that no OpenVidu route produced (unknown path 404, wrong method 405), writes the error JSON that Spring Boot
/// writes in front of OpenVidu: <c>{"timestamp":"&lt;ISO&gt;","status":…,"error":…,"path":…}</c>.
/// </summary>
public sealed class SpringErrorMiddleware(RequestDelegate next, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext context)
    {
        await next(context);
        var response = context.Response;
        if (response.HasStarted || response.StatusCode < 400 || response.ContentLength is > 0 || response.ContentType is not null)
        {
            return;
        }
        var endpoint = context.GetEndpoint();
        var routed = endpoint is not null
            && endpoint.DisplayName?.StartsWith("405 HTTP Method Not Supported", StringComparison.Ordinal) != true;
        if (routed) return; // an OpenVidu route chose an empty body on purpose
        response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(response.Body, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteString("timestamp", time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteNumber("status", response.StatusCode);
        w.WriteString("error", Api.ReasonPhrases.For(response.StatusCode));
        w.WriteString("path", context.Request.Path.Value);
        w.WriteEndObject();
    }
}
