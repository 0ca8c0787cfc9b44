namespace Sightline.Sessions.Ids;

/// <summary>Builds the connection id OpenVidu gives a camera: <c>ipc_IPCAM_&lt;scheme&gt;_&lt;RAND4&gt;_&lt;host&gt;[_&lt;port&gt;]&lt;path&gt;</c>.</summary>
public static class IpCameraIds
{
    /// <summary>
    /// <c>"IPCAM_" + scheme + "_" + tag + "_" + host + (":" + port) + path</c>, then <c>/</c>, <c>.</c>, <c>:</c> become <c>_</c>
    /// and <c>-</c> is removed, then <c>ipc_</c> in front. A null host or path is written as Java writes it: <c>null</c>.
    /// </summary>
    public static string ConnectionId(CameraUri uri, string tag)
    {
        var raw = "IPCAM_" + (uri.Scheme ?? "null") + "_" + tag + "_" + (uri.Host ?? "null")
            + (uri.Port != -1 ? ":" + uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) : "")
            + (uri.Path ?? "null");
        var cleaned = raw.Replace("/", "_", StringComparison.Ordinal)
            .Replace("-", "", StringComparison.Ordinal)
            .Replace(".", "_", StringComparison.Ordinal)
            .Replace(":", "_", StringComparison.Ordinal);
        return "ipc_" + cleaned;
    }
}
