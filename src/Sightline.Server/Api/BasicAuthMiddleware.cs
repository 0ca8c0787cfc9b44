using System.Security.Cryptography;
using System.Text;
using Sightline.Server.Configuration;

namespace Sightline.Server.Api;

/// <summary>HTTP Basic <c>OPENVIDUAPP:&lt;secret&gt;</c> on <c>/openvidu/api/**</c>, compared in constant time; 401 otherwise.</summary>
public sealed class BasicAuthMiddleware
{
    private readonly RequestDelegate _next;
    private readonly byte[] _expected;
    private readonly bool _publicRecordings;

    public BasicAuthMiddleware(RequestDelegate next, SightlineOptions options)
    {
        _next = next;
        _publicRecordings = options.RecordingPublicAccess;
        _expected = Encoding.UTF8.GetBytes("OPENVIDUAPP:" + options.Secret);
    }

    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        // Recorded files (/openvidu/recordings/**) need it too, unless OPENVIDU_RECORDING_PUBLIC_ACCESS is on.
        var needsAuth = (path.StartsWithSegments("/openvidu/api") || path.StartsWithSegments("/openvidu/recordings") && !_publicRecordings)
            && !HttpMethods.IsOptions(context.Request.Method)
            && !path.Equals("/openvidu/api/config/openvidu-publicurl", StringComparison.Ordinal);
        if (!needsAuth || IsAuthorized(context.Request.Headers.Authorization.ToString()))
        {
            return _next(context);
        }
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"Realm\"";
        return Task.CompletedTask;
    }

    public bool IsAuthorized(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return false;
        var encoded = header.AsSpan(6).Trim();
        Span<byte> decoded = stackalloc byte[256];
        if (encoded.Length > 340 || !Convert.TryFromBase64Chars(encoded, decoded, out var length))
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(decoded[..length], _expected);
    }
}
