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

    private sealed record Part(PublishedStream Stream, Connection Publisher, StreamRecorder Recorder, CameraSource Source, string Uri)
    {
        public bool Ended { get; set; }
    }

    public event Action<string>? Failed;

    public void AddStream(PublishedStream stream, Connection publisher)
    {
        if (!publisher.Properties.Record || stream.IpCamera is not { } cam) return;
        var source = cameras.Find(cam.RtspUri);
        if (source is null) return;
        lock (_gate)
        {
            if (_parts.Any(p => !p.Ended && p.Stream.StreamId == stream.StreamId)) return;
            // The same stream recorded again within one recording: "<stream>-1", "<stream>-2"…
            var n = _timesRecorded.GetValueOrDefault(stream.StreamId);
            _timesRecorded[stream.StreamId] = n + 1;
            var file = Path.Combine(folder, n == 0 ? stream.StreamId : $"{stream.StreamId}-{n}");
            var recorder = new StreamRecorder(file, () => source.Camera.Tracks, recording.Properties.HasAudio, recording.Properties.HasVideo, logger, time);
            recorder.Failed += r => OnFailed(r.Error ?? "write failed");
            cameras.ViewerJoined(cam.RtspUri);
            source.AddRecorder(recorder);
            _parts.Add(new Part(stream, publisher, recorder, source, cam.RtspUri));
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
        p.Source.RemoveRecorder(p.Recorder);
        cameras.ViewerLeft(p.Uri);
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
        var name = recording.Name;
        try
        {
            var sync = Path.Combine(folder, name + ".json");
            await File.WriteAllBytesAsync(sync, SyncJson(written));
            var zip = Path.Combine(folder, name + ".zip");
            using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
            {
                archive.CreateEntryFromFile(sync, name + ".json", CompressionLevel.NoCompression);
                foreach (var p in written) archive.CreateEntryFromFile(p.Recorder.FilePath, Path.GetFileName(p.Recorder.FilePath), CompressionLevel.NoCompression);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error ??= e.Message;
        }
        var size = written.Sum(p => new FileInfo(p.Recorder.FilePath).Length);
        var offsets = written.Select(p => Offsets(p)).ToList();
        var duration = offsets.Count == 0 ? 0 : (offsets.Max(o => o.End) - offsets.Min(o => o.Start)) / 1000.0;
        if (written.Count == 0) error ??= "no stream of the session was recorded (no camera with record:true played)";
        return new JobResult(size, duration, name + ".zip", error);
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

    // OpenVidu's synchronization file: the recording, then one entry per file with its offsets.
    private byte[] SyncJson(List<Part> parts)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("createdAt", recording.CreatedAt);
            w.WriteString("id", recording.Id);
            w.WriteString("name", recording.Name);
            w.WriteString("sessionId", recording.SessionId);
            w.WriteStartArray("files");
            foreach (var p in parts)
            {
                var (start, end) = Offsets(p);
                w.WriteStartObject();
                w.WriteString("name", Path.GetFileName(p.Recorder.FilePath));
                w.WriteString("connectionId", p.Publisher.ConnectionId);
                w.WriteString("streamId", p.Stream.StreamId);
                w.WriteNumber("size", new FileInfo(p.Recorder.FilePath).Length);
                if (p.Publisher.ClientData is null) w.WriteString("clientData", "");
                else w.WriteString("clientData", p.Publisher.ClientData);
                w.WriteString("serverData", p.Publisher.Properties.Data ?? "");
                w.WriteBoolean("hasAudio", p.Recorder.HasAudio);
                w.WriteBoolean("hasVideo", p.Recorder.HasVideo);
                if (p.Recorder.HasVideo) w.WriteString("typeOfVideo", p.Stream.MediaOptions.TypeOfVideo ?? "IPCAM");
                w.WriteNumber("startTimeOffset", start);
                w.WriteNumber("endTimeOffset", end);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }
}
