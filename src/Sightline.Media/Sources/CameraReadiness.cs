using Sightline.Rtsp.Client;

namespace Sightline.Media.Sources;

/// <summary>
/// What a new viewer can expect of a camera (<see cref="CameraSource.WaitUntilPlayingAsync"/>): it plays, so its codecs
/// are known; or it does not, with the reason in plain words (credentials and URIs never included).
/// </summary>
public sealed record CameraReadiness(bool Playing, CameraState State, RtspFailure? Failure, string? Reason)
{
    public static CameraReadiness Ready { get; } = new(true, CameraState.Playing, null, null);
}
