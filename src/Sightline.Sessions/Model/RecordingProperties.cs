namespace Sightline.Sessions.Model;

/// <summary>OpenVidu <c>RecordingProperties</c>, as <c>defaultRecordingProperties</c> of a session or a start request.</summary>
public sealed record RecordingProperties
{
    public string Name { get; init; } = "";
    public bool HasAudio { get; init; } = true;
    public bool HasVideo { get; init; } = true;
    public OutputMode OutputMode { get; init; } = OutputMode.COMPOSED;
    public RecordingLayout RecordingLayout { get; init; } = RecordingLayout.BEST_FIT;
    public string Resolution { get; init; } = "1280x720";
    public int FrameRate { get; init; } = 25;
    public long ShmSize { get; init; } = 536870912;
    public string CustomLayout { get; init; } = "";
    public bool IgnoreFailedStreams { get; init; }
    public string? MediaNode { get; init; }

    /// <summary>Whether the composed-only fields (layout, resolution, frame rate, shm size) apply.</summary>
    public bool IsComposedWithVideo => OutputMode is OutputMode.COMPOSED or OutputMode.COMPOSED_QUICK_START && HasVideo;
}
