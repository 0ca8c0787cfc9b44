namespace Sightline.Sessions.Model;

/// <summary>What a published stream carries, as OpenVidu reports it in <c>mediaOptions</c>.</summary>
/// <param name="VideoDimensions">A JSON text such as <c>{"width":640,"height":480}</c>, or null.</param>
public sealed record MediaOptions(
    bool HasAudio,
    bool AudioActive,
    bool HasVideo,
    bool VideoActive,
    string? TypeOfVideo,
    int? FrameRate,
    string? VideoDimensions)
{
    /// <summary>An IP camera's stream: audio and video announced, frame rate and size unknown (OpenVidu never fills them in).</summary>
    public static MediaOptions IpCamera { get; } = new(true, true, true, true, "IPCAM", null, null);
}
