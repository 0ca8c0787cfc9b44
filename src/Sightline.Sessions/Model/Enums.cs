namespace Sightline.Sessions.Model;

// Enum member names are OpenVidu's wire spellings (Java enum names), so ToString() is the JSON value.
#pragma warning disable CA1707 // Identifiers should not contain underscores: COMPOSED_QUICK_START is the wire name.

/// <summary>How media flows in a session (OpenVidu <c>MediaMode</c>).</summary>
public enum MediaMode { ROUTED, RELAYED }

/// <summary>When a session records (OpenVidu <c>RecordingMode</c>).</summary>
public enum RecordingMode { ALWAYS, MANUAL }

/// <summary>The video codec a session forces on its publishers (OpenVidu <c>VideoCodec</c>).</summary>
public enum ForcedVideoCodec { MEDIA_SERVER_PREFERRED, NONE, VP8, VP9, H264 }

/// <summary>OpenVidu <c>Recording.OutputMode</c>.</summary>
public enum OutputMode { COMPOSED, COMPOSED_QUICK_START, INDIVIDUAL }

/// <summary>OpenVidu <c>RecordingLayout</c>.</summary>
public enum RecordingLayout { BEST_FIT, PICTURE_IN_PICTURE, VERTICAL_PRESENTATION, HORIZONTAL_PRESENTATION, CUSTOM }

/// <summary>A connection is a browser (<c>WEBRTC</c>) or a camera pulled by the server (<c>IPCAM</c>).</summary>
public enum ConnectionType { WEBRTC, IPCAM }

/// <summary>OpenVidu <c>OpenViduRole</c>.</summary>
public enum OpenViduRole { SUBSCRIBER, PUBLISHER, MODERATOR }

/// <summary>A connection is <c>pending</c> until its token is used, then <c>active</c>.</summary>
public enum ConnectionStatus { Pending, Active }

/// <summary>Why a stream, subscription, participant or session ended: OpenVidu's <c>EndReason</c> names, exact spelling.</summary>
public enum EndReason
{
    unsubscribe,
    unpublish,
    disconnect,
    forceUnpublishByUser,
    forceUnpublishByServer,
    forceDisconnectByUser,
    forceDisconnectByServer,
    lastParticipantLeft,
    recordingStoppedByServer,
    broadcastStoppedByServer,
    sessionClosedByServer,
    networkDisconnect,
    mediaServerDisconnect,
    mediaServerReconnect,
    nodeCrashed,
    openviduServerStopped,
    automaticStop,
}
#pragma warning restore CA1707
