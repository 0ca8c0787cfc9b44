namespace Sightline.Sessions.Model;

/// <summary>OpenVidu's recording status values, as they appear in JSON.</summary>
public enum RecordingStatus { starting, started, stopped, ready, failed }

/// <summary>
/// A recording as OpenVidu's <c>Recording</c> entity shows it: identity, properties, and what it has produced so far
/// (<see cref="Size"/> in bytes, <see cref="Duration"/> in seconds, <see cref="Url"/> once ready).
/// </summary>
public sealed record RecordingInfo(
    string Id,
    string SessionId,
    long CreatedAt,
    RecordingProperties Properties,
    RecordingStatus Status,
    long Size,
    double Duration,
    string? Url)
{
    /// <summary>The recording's name: its id when none was given.</summary>
    public string Name => Properties.Name.Length > 0 ? Properties.Name : Id;
}
