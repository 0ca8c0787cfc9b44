namespace Sightline.Server.Signaling;

/// <summary>Log lines of the signaling socket (event ids 12xx).</summary>
internal static partial class SignalingLog
{
    [LoggerMessage(1201, LogLevel.Information, "Subscription of {Subscriber} to {StreamId} refused: the camera cannot play ({Reason})")]
    public static partial void CameraCannotPlay(ILogger logger, string subscriber, string streamId, string reason);
}
