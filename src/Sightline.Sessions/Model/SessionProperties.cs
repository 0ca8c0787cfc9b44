namespace Sightline.Sessions.Model;

/// <summary>OpenVidu <c>SessionProperties</c>: what <c>POST /openvidu/api/sessions</c> sets.</summary>
public sealed record SessionProperties
{
    public MediaMode MediaMode { get; init; } = MediaMode.ROUTED;
    public RecordingMode RecordingMode { get; init; } = RecordingMode.MANUAL;
    /// <summary>Empty when the id was generated.</summary>
    public string CustomSessionId { get; init; } = "";
    public ForcedVideoCodec ForcedVideoCodec { get; init; } = ForcedVideoCodec.MEDIA_SERVER_PREFERRED;
    public bool AllowTranscoding { get; init; }
    public RecordingProperties DefaultRecordingProperties { get; init; } = new();
    /// <summary>Echoed back only when given (CE has one media node).</summary>
    public string? MediaNodeId { get; init; }
}
