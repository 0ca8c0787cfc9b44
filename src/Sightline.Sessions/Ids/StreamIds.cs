namespace Sightline.Sessions.Ids;

/// <summary>Stream id rules of OpenVidu 2: <c>str_</c> + first 3 letters of typeOfVideo + <c>_</c> + tag + <c>_</c> + connection id.</summary>
public static class StreamIds
{
    public static string Create(string typeOfVideo, string tag, string connectionId)
    {
        var prefix = typeOfVideo.Length >= 3 ? typeOfVideo[..3] : typeOfVideo;
        return "str_" + prefix.ToUpperInvariant() + "_" + tag + "_" + connectionId;
    }

    /// <summary>An IPCAM stream id is recognised by its <c>str_IPC_</c> prefix and an embedded <c>_ipc_</c> connection id.</summary>
    public static bool IsIpCameraStream(string streamId) =>
        streamId.StartsWith("str_IPC_", StringComparison.Ordinal) && streamId.Contains("_ipc_", StringComparison.Ordinal);
}
