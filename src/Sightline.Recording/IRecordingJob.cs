using Sightline.Sessions.Model;

namespace Sightline.Recording;

/// <summary>What a finished recording produced: its files' total size (bytes), its duration (s), the file <c>url</c>
/// points to, and why it failed (null when it did not).</summary>
public sealed record JobResult(long Size, double Duration, string? MainFile, string? Error);

/// <summary>The media side of one running recording (individual files or one composed file).</summary>
internal interface IRecordingJob
{
    /// <summary>A stream of the session to record (published before the start or while the recording runs).</summary>
    void AddStream(PublishedStream stream, Connection publisher);

    /// <summary>That stream ended (unpublished, camera removed): its part of the recording ends.</summary>
    Task RemoveStreamAsync(string streamId);

    /// <summary>Ends everything and writes the final files.</summary>
    Task<JobResult> FinishAsync();

    /// <summary>Raised (once) when the recording cannot go on: disk full, folder gone.</summary>
    event Action<string>? Failed;
}
