using System.Text.Json;

namespace Sightline.Server.Api;

/// <summary>Reads a request's JSON body with the checks Spring applies before OpenVidu's code runs.</summary>
public static class RequestBody
{
    /// <summary>Bodies larger than this are refused (413): no OpenVidu request comes near it.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>
    /// The parsed body, or null when there is none. <paramref name="error"/> is set for a non-JSON content type (415),
    /// malformed JSON (400) or an oversized body (413).
    /// </summary>
    public static async Task<(JsonDocument? Document, IResult? Error)> ReadAsync(HttpRequest request, string path, TimeProvider time)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBytes)
            {
                return (null, ApiError.Json(StatusCodes.Status413PayloadTooLarge, "Request body too large", path, time));
            }
        }
        if (buffer.Length == 0 || IsBlank(buffer))
        {
            return (null, null);
        }
        var contentType = request.ContentType ?? "";
        if (!contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            && !contentType.Contains("+json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, ApiError.Json(StatusCodes.Status415UnsupportedMediaType,
                $"Content-Type '{contentType}' is not supported; send application/json", path, time));
        }
        try
        {
            var doc = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 32 });
            if (doc.RootElement.ValueKind == JsonValueKind.Null)
            {
                doc.Dispose();
                return (null, null);
            }
            return (doc, null);
        }
        catch (JsonException e)
        {
            return (null, ApiError.Json(StatusCodes.Status400BadRequest, "JSON parse error: " + e.Message, path, time));
        }
    }

    private static bool IsBlank(MemoryStream buffer)
    {
        foreach (var b in buffer.GetBuffer().AsSpan(0, (int)buffer.Length))
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return false;
        }
        return true;
    }

    /// <summary>A member of an object, or null when absent or JSON null (OpenVidu treats both alike).</summary>
    public static JsonElement? Member(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;
}
