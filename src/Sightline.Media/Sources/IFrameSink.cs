using Sightline.Rtp.Packetization;

namespace Sightline.Media.Sources;

/// <summary>Receives a camera's frames as they arrive (recorders). Called on the camera's thread: must not block.</summary>
public interface IFrameSink
{
    /// <param name="wallClock">The camera's wall-clock time of the frame (sender reports, else arrival); null for frames
    /// replayed from the cached GOP.</param>
    void OnFrame(ICameraTrack track, EncodedFrame frame, DateTimeOffset? wallClock);
}
