namespace Sightline.Rtsp.Client;

/// <summary>
/// Why talking to a camera failed, one value per thing a user must do differently. The failures of every camera session
/// (RTSP, and files and HTTP streams read through libavformat), though named after the first of them.
/// </summary>
public enum RtspFailure
{
    /// <summary>The host name does not resolve, or no route / no answer to connect.</summary>
    HostUnreachable,
    /// <summary>The host answered but nothing listens on the port.</summary>
    ConnectionRefused,
    /// <summary>401 without credentials, or with wrong ones.</summary>
    AuthenticationFailed,
    /// <summary>404: no stream at that path.</summary>
    NotFound,
    /// <summary>The stream has no track in a codec Sightline takes.</summary>
    UnsupportedCodec,
    /// <summary>The camera answered an RTSP request with another error status.</summary>
    RequestRejected,
    /// <summary>The camera sent something that is not RTSP or SDP.</summary>
    ProtocolError,
    /// <summary>The camera did not answer a request in time.</summary>
    Timeout,
    /// <summary>TLS (rtsps://) could not be set up.</summary>
    TlsFailed,
    /// <summary>The camera closed the connection while playing.</summary>
    ConnectionLost,
    /// <summary>Playing, but no media arrived for too long.</summary>
    NoData,
    /// <summary>UDP was set up but nothing arrived: a firewall or NAT is in the way (falls back to TCP).</summary>
    UdpBlocked,
    /// <summary>A file or HTTP resource that is not a media stream Sightline can read (or a file:// path it may not read).</summary>
    UnreadableMedia,
    /// <summary>The camera refused the transport asked for (461 Unsupported Transport): the URI's <c>#transport=</c> must change.</summary>
    TransportRefused,
}

/// <summary>A camera failure with a message in plain words (credentials never included).</summary>
public sealed class RtspException(RtspFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public RtspFailure Failure { get; } = failure;

    /// <summary>Failures that retrying at once will not fix (the camera or the URI must change).</summary>
    public bool IsPermanent => Failure is RtspFailure.AuthenticationFailed or RtspFailure.NotFound or RtspFailure.UnsupportedCodec or RtspFailure.UnreadableMedia or RtspFailure.TransportRefused;
}
