using Microsoft.Extensions.Logging;

namespace Sightline.Media.Ingest;

/// <summary>Log lines of file and HTTP cameras (event ids 35xx). URIs are always masked.</summary>
internal static partial class Log
{
    [LoggerMessage(3501, LogLevel.Information, "Camera {Uri} playing ({Format}, {Kind}): {Tracks}")]
    public static partial void Playing(ILogger logger, string uri, string format, string tracks, string kind);

    [LoggerMessage(3502, LogLevel.Debug, "Camera {Uri}: the file plays again from its start (loop {Loop})")]
    public static partial void Looped(ILogger logger, string uri, int loop);
}
