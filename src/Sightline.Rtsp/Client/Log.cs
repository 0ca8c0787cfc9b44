using Microsoft.Extensions.Logging;

namespace Sightline.Rtsp.Client;

/// <summary>Log lines of the RTSP client (event ids 3xxx). URIs are always masked.</summary>
internal static partial class Log
{
    [LoggerMessage(3001, LogLevel.Information, "Camera {Uri} playing over {Transport}: {Tracks}")]
    public static partial void Playing(ILogger logger, string uri, string transport, string tracks);

    [LoggerMessage(3002, LogLevel.Debug, "Camera {Uri}: malformed RTSP message dropped ({Reason})")]
    public static partial void MalformedMessage(ILogger logger, string uri, string reason);

    [LoggerMessage(3003, LogLevel.Debug, "Camera {Uri}: keep-alive failed ({Reason})")]
    public static partial void KeepAliveFailed(ILogger logger, string uri, string reason);

    [LoggerMessage(3010, LogLevel.Information, "Camera {Uri}: {State}{Detail}")]
    public static partial void StateChanged(ILogger logger, string uri, string state, string detail);
}
