using Sightline.Media.Sources;

namespace Sightline.Server.Cameras;

/// <summary>
/// A subscription to a camera that cannot play now: wrong credentials, unknown path, refused connection, an error status,
/// down and reconnecting, or still connecting when the wait ran out. The message names the stream and the reason in
/// plain words; signaling answers it as OpenVidu's 303 MEDIA_ENDPOINT_ERROR (the publisher's endpoint is not there).
/// </summary>
public sealed class CameraUnavailableException(string streamId, CameraReadiness readiness)
    : Exception($"Camera {streamId} cannot play: {readiness.Reason}")
{
    public string StreamId { get; } = streamId;
    public CameraReadiness Readiness { get; } = readiness;
}
