namespace Sightline.Rtsp.Auth;

/// <summary>User and password from a camera URI's user-info, percent-decoded (<c>p%40ss</c> → <c>p@ss</c>).</summary>
public sealed record Credentials(string User, string Password)
{
    public static Credentials? FromUserInfo(string? userInfo)
    {
        if (string.IsNullOrEmpty(userInfo)) return null;
        var colon = userInfo.IndexOf(':');
        var user = colon < 0 ? userInfo : userInfo[..colon];
        var password = colon < 0 ? "" : userInfo[(colon + 1)..];
        return new Credentials(Uri.UnescapeDataString(user), Uri.UnescapeDataString(password));
    }

    public override string ToString() => $"{User}:***";
}
