using Sightline.Rtp.Packetization;

namespace Sightline.Rtsp.Client;

/// <summary>
/// One connection to a camera, from connecting to the end of its stream: an RTSP session (<see cref="RtspClient"/>) or a
/// file or HTTP(S) stream read through libavformat. <see cref="ReconnectingCamera"/> runs one after another across failures.
/// </summary>
public interface ICameraSession : IAsyncDisposable
{
    /// <summary>Connects and starts playing. Throws <see cref="RtspException"/> with a reason in plain words.</summary>
    Task StartAsync(CancellationToken cancel);

    /// <summary>Receives until cancelled (then returns), or throws <see cref="RtspException"/> when the stream fails or ends.</summary>
    Task RunAsync(CancellationToken cancel);

    /// <summary>The tracks being played (known once started).</summary>
    IReadOnlyList<ICameraTrack> Tracks { get; }

    /// <summary>Tracks the camera offers in codecs Sightline does not take ("audio MPA", "audio mp3", …).</summary>
    IReadOnlyList<string> SkippedTracks { get; }

    /// <summary>How media arrives: <c>UDP</c> or <c>TCP</c> (RTSP), <c>HTTP</c>, <c>HTTPS</c>, <c>FILE</c>.</summary>
    string Transport { get; }

    /// <summary>Every complete frame of every track, with the camera's wall-clock time of it.</summary>
    event Action<ICameraTrack, EncodedFrame, DateTimeOffset>? FrameReceived;
}
