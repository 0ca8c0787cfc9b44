using Microsoft.Extensions.Logging;
using Sightline.Rtp.Packetization;
using Sightline.Rtsp.Client;

namespace Sightline.Media.Ingest;

/// <summary>
/// Which session plays a camera URI: <c>rtsp://</c> and <c>rtsps://</c> through Sightline's RTSP client; <c>http://</c>,
/// <c>https://</c> and <c>file://</c> (below <see cref="CameraFiles"/>' folder only) through libavformat.
/// </summary>
public static class CameraSessions
{
    /// <summary>A camera kept playing across failures, with the session its scheme needs.</summary>
    public static ReconnectingCamera Camera(string uri, int networkCacheMs, CameraFiles files, ILogger logger, TimeProvider? time = null)
    {
        if (IsRtsp(uri)) return new ReconnectingCamera(new RtspClientOptions { Uri = uri, NetworkCacheMs = networkCacheMs }, logger, time);
        return new ReconnectingCamera(RtspClient.Mask(uri), _ => Session(uri, files, logger, time), logger, time);
    }

    /// <summary>One session for a camera URI (RTSP with default options); a refused URI gives a session that fails to start with the reason.</summary>
    public static ICameraSession Session(string uri, CameraFiles files, ILogger logger, TimeProvider? time = null, RtspTransport transport = RtspTransport.Auto, bool realTime = true)
    {
        if (IsRtsp(uri)) return new RtspClient(new RtspClientOptions { Uri = uri, Transport = transport }, logger, time);
        if (CameraFiles.IsFileUri(uri))
        {
            if (!files.TryResolve(uri, out var path, out var error)) return new RefusedSession(new RtspException(RtspFailure.UnreadableMedia, error));
            return new MediaInputSession(new MediaInputSessionOptions { Uri = uri, Url = "file:" + path, RealTime = realTime }, logger, time);
        }
        if (uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return new MediaInputSession(new MediaInputSessionOptions { Uri = uri, Url = uri, RealTime = realTime }, logger, time);
        }
        var colon = uri.IndexOf(':');
        var scheme = colon > 0 ? uri[..colon] : uri;
        return new RefusedSession(new RtspException(RtspFailure.ProtocolError, $"'{scheme}://' is not a camera URI Sightline plays (rtsp, rtsps, http, https, file)"));
    }

    public static bool IsRtsp(string uri) =>
        uri.StartsWith("rtsp://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("rtsps://", StringComparison.OrdinalIgnoreCase);

    /// <summary>A session that cannot start (a URI refused before anything is opened): its start throws the reason.</summary>
    private sealed class RefusedSession(RtspException reason) : ICameraSession
    {
        public IReadOnlyList<ICameraTrack> Tracks => [];
        public IReadOnlyList<string> SkippedTracks => [];
        public string Transport => "NONE";

        public event Action<ICameraTrack, EncodedFrame, DateTimeOffset>? FrameReceived
        {
            add { }
            remove { }
        }

        public Task StartAsync(CancellationToken cancel) => Task.FromException(reason);
        public Task RunAsync(CancellationToken cancel) => Task.FromException(reason);
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
