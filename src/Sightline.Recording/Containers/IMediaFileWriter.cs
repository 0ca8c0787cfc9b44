namespace Sightline.Recording.Containers;

/// <summary>A media file written as samples arrive (<see cref="Mp4Writer"/>, <see cref="WebmWriter"/>).</summary>
public interface IMediaFileWriter : IDisposable
{
    /// <summary>Adds a sample; <paramref name="time"/> is in the track's timescale, from 0 at the file's start.</summary>
    void Write(int track, ReadOnlySpan<byte> sample, long time, bool sync);

    /// <summary>
    /// Adds a sample that is shown at another time than it is decoded (B-frames); both times in the track's timescale.
    /// A format that stores presentation times only keeps <paramref name="presentationTime"/>.
    /// </summary>
    void Write(int track, ReadOnlySpan<byte> sample, long decodeTime, long presentationTime, bool sync) => Write(track, sample, presentationTime, sync);

    /// <summary>Writes what is buffered and the file's duration.</summary>
    void Finish();

    long BytesWritten { get; }
    double DurationSeconds { get; }
}
