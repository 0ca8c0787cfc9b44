using System.IO.Compression;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sightline.Media.Sources;
using Sightline.Sessions.Model;

namespace Sightline.Recording.Individual;

/// <summary>
/// An <c>INDIVIDUAL</c> recording: every recorded camera stream in its own MP4 as the camera sends it, then OpenVidu's
/// synchronization JSON and the ZIP of it all (stored, not compressed: the media is compressed already). A camera that
/// waits for viewers is held playing while it is recorded, as if the recorder were a viewer.
/// </summary>
internal sealed class IndividualJob(RecordingInfo recording, string folder, CameraSourcePool cameras, ILogger logger, TimeProvider time) : IRecordingJob
{
    private readonly Lock _gate = new();
    private readonly List<Part> _parts = [];
    private readonly Dictionary<string, int> _timesRecorded = new(StringComparer.Ordinal);
    private bool _failed;

    private sealed record Part(PublishedStream Stream, Connection Publisher, StreamRecorder Recorder, CameraSourcePool.RecorderLease Lease)
    {
        public bool Ended { get; set; }
        public long AddedAt { get; init; }
    }

    /// <summary>The name of the file that lists the recording's streams while it runs (to finish it after a crash).</summary>
    public const string StreamsFile = ".streams";

    // What the sync JSON needs of each stream, kept on disk from the moment it is added: a recording a crash cut short
    // can still be finished at the next start.
    private void SaveStreams()
    {
        try
        {
            var entries = _parts.Select(p => new IndividualOutput.Entry(Path.GetFileName(p.Recorder.BasePath), p.Publisher.ConnectionId, p.Stream.StreamId,
                p.Publisher.ClientData ?? "", p.Publisher.Properties.Data ?? "", p.Stream.MediaOptions.TypeOfVideo ?? "IPCAM", p.AddedAt)).ToList();
            var path = Path.Combine(folder, StreamsFile);
            File.WriteAllBytes(path + ".tmp", JsonSerializer.SerializeToUtf8Bytes(entries));
            File.Move(path + ".tmp", path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Recording {Id}: cannot save its list of streams: {Reason}", recording.Id, e.Message);
        }
    }

    public event Action<string>? Failed;

    public void AddStream(PublishedStream stream, Connection publisher)
    {
        if (!publisher.Properties.Record || stream.IpCamera is not { } cam) return;
        lock (_gate)
        {
            if (_parts.Any(p => !p.Ended && p.Stream.StreamId == stream.StreamId)) return;
            if (cameras.HoldForRecorder(cam.RtspUri) is not { } lease) return;
            // The same stream recorded again within one recording: "<stream>-1", "<stream>-2"…
            var n = _timesRecorded.GetValueOrDefault(stream.StreamId);
            _timesRecorded[stream.StreamId] = n + 1;
            var file = Path.Combine(folder, n == 0 ? stream.StreamId : $"{stream.StreamId}-{n}");
            var recorder = new StreamRecorder(file, () => lease.Source.Camera.Tracks, recording.Properties.HasAudio, recording.Properties.HasVideo, logger, time);
            recorder.Failed += r => OnFailed(r.Error ?? "write failed");
            lease.Attach(recorder);
            _parts.Add(new Part(stream, publisher, recorder, lease) { AddedAt = time.GetUtcNow().ToUnixTimeMilliseconds() });
            SaveStreams();
            logger.LogInformation("Recording {Id}: camera stream {Stream} into {File}", recording.Id, stream.StreamId, Path.GetFileName(file));
        }
    }

    private void OnFailed(string error)
    {
        lock (_gate)
        {
            if (_failed) return;
            _failed = true;
        }
        Failed?.Invoke(error);
    }

    public async Task RemoveStreamAsync(string streamId)
    {
        List<Part> ending;
        lock (_gate)
        {
            ending = [.. _parts.Where(p => !p.Ended && p.Stream.StreamId == streamId)];
            foreach (var p in ending) p.Ended = true;
        }
        foreach (var p in ending) await EndAsync(p);
    }

    private async Task EndAsync(Part p)
    {
        p.Lease.Dispose();
        await p.Recorder.DisposeAsync();
    }

    public async Task<JobResult> FinishAsync()
    {
        List<Part> all;
        List<Part> ending;
        lock (_gate)
        {
            all = [.. _parts];
            ending = [.. _parts.Where(p => !p.Ended)];
            foreach (var p in ending) p.Ended = true;
        }
        foreach (var p in ending) await EndAsync(p);
        var error = all.Select(p => p.Recorder.Error).FirstOrDefault(e => e is not null);
        var written = all.Where(p => File.Exists(p.Recorder.FilePath) && p.Recorder.Size > 0).ToList();
        var files = written.Select(p =>
        {
            var (start, end) = Offsets(p);
            return new IndividualOutput.File(p.Recorder.FilePath, p.Publisher.ConnectionId, p.Stream.StreamId, p.Publisher.ClientData ?? "",
                p.Publisher.Properties.Data ?? "", p.Recorder.HasAudio, p.Recorder.HasVideo, p.Stream.MediaOptions.TypeOfVideo ?? "IPCAM", start, end);
        }).ToList();
        var result = await IndividualOutput.WriteAsync(recording, folder, files);
        return result with { Error = error ?? result.Error };
    }

    // Milliseconds from the recording's start to the stream's first and last sample (never before the recording began:
    // the file may open with a little of the camera's cached GOP).
    private (long Start, long End) Offsets(Part p)
    {
        var start = p.Recorder.StartedAt?.ToUnixTimeMilliseconds() ?? recording.CreatedAt;
        var startOffset = Math.Max(0, start - recording.CreatedAt);
        var endOffset = startOffset + (long)(p.Recorder.DurationSeconds * 1000);
        return (startOffset, Math.Max(startOffset, endOffset));
    }
}
