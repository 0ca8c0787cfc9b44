using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Sightline.Rtsp.Auth;

/// <summary>
/// Answers a camera's challenge with HTTP Basic (RFC 7617) or Digest (RFC 2617: MD5, qop=auth or none). Digest is
/// preferred when both are offered. A new challenge (stale nonce, changed realm) replaces the previous one.
/// </summary>
public sealed class RtspAuthenticator(Credentials credentials)
{
    private AuthChallenge? _challenge;
    private int _nonceCount;
    private readonly string _cnonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public Credentials Credentials { get; } = credentials;
    public bool HasChallenge => _challenge is not null;
    public string? Scheme => _challenge?.Scheme;

    /// <summary>Takes the challenges of a 401; false when none is usable.</summary>
    public bool Accept(IEnumerable<string> wwwAuthenticate)
    {
        AuthChallenge? basic = null, digest = null;
        foreach (var header in wwwAuthenticate)
        {
            var c = AuthChallenge.Parse(header);
            if (c is null) continue;
            if (c.Scheme.Equals("Digest", StringComparison.OrdinalIgnoreCase) && c["nonce"] is not null
                && (c["algorithm"] is null || c["algorithm"]!.Equals("MD5", StringComparison.OrdinalIgnoreCase)))
            {
                digest ??= c;
            }
            else if (c.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
            {
                basic ??= c;
            }
        }
        var chosen = digest ?? basic;
        if (chosen is null) return false;
        if (_challenge?["nonce"] != chosen["nonce"]) _nonceCount = 0;
        _challenge = chosen;
        return true;
    }

    /// <summary>The <c>Authorization</c> header for a request, or null before any challenge.</summary>
    public string? Authorize(string method, string uri)
    {
        if (_challenge is null) return null;
        if (_challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            return "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Credentials.User}:{Credentials.Password}"));
        }
        var realm = _challenge["realm"] ?? "";
        var nonce = _challenge["nonce"]!;
        var opaque = _challenge["opaque"];
        var qopAuth = _challenge["qop"]?.Split(',').Any(q => q.Trim().Equals("auth", StringComparison.OrdinalIgnoreCase)) == true;
        var nc = (++_nonceCount).ToString("x8", CultureInfo.InvariantCulture);
        var response = DigestResponse(Credentials.User, realm, Credentials.Password, method, uri, nonce, qopAuth ? nc : null, qopAuth ? _cnonce : null);
        var sb = new StringBuilder();
        sb.Append("Digest username=\"").Append(Credentials.User)
            .Append("\", realm=\"").Append(realm)
            .Append("\", nonce=\"").Append(nonce)
            .Append("\", uri=\"").Append(uri)
            .Append("\", response=\"").Append(response).Append('"');
        if (_challenge["algorithm"] is { } alg) sb.Append(", algorithm=").Append(alg);
        if (opaque is not null) sb.Append(", opaque=\"").Append(opaque).Append('"');
        if (qopAuth) sb.Append(", qop=auth, nc=").Append(nc).Append(", cnonce=\"").Append(_cnonce).Append('"');
        return sb.ToString();
    }

    /// <summary>RFC 2617 §3.2.2.1: <c>KD(H(A1), nonce[:nc:cnonce:qop]:H(A2))</c> with MD5.</summary>
    public static string DigestResponse(string user, string realm, string password, string method, string uri, string nonce, string? nc, string? cnonce)
    {
        var ha1 = Md5($"{user}:{realm}:{password}");
        var ha2 = Md5($"{method}:{uri}");
        return nc is null ? Md5($"{ha1}:{nonce}:{ha2}") : Md5($"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}");
    }

    /// <summary>True when a 401 challenge says only that the nonce expired (RFC 2617 <c>stale=true</c>).</summary>
    public static bool IsStale(IEnumerable<string> wwwAuthenticate) =>
        wwwAuthenticate.Select(AuthChallenge.Parse).Any(c => c?["stale"]?.Equals("true", StringComparison.OrdinalIgnoreCase) == true);

    private static string Md5(string text) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(text)));
}
