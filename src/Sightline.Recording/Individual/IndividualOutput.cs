using System.IO.Compression;
using System.Text.Json;
using Sightline.Sessions.Model;

namespace Sightline.Recording.Individual;

/// <summary>
/// The end product of an <c>INDIVIDUAL</c> recording: OpenVidu's synchronization file <c>&lt;name&gt;.json</c> and the ZIP
/// <c>&lt;name&gt;.zip</c> of it and the media files (stored, not compressed: the media is compressed already).
/// </summary>
public static class IndividualOutput
{
    /// <summary>One recorded file and what the sync JSON says of it (offsets in ms from the recording's start).</summary>
    public sealed record File(string Path, string ConnectionId, string StreamId, string ClientData, string ServerData, bool HasAudio, bool HasVideo, string TypeOfVideo, long StartTimeOffset, long EndTimeOffset);

    /// <summary>A stream as listed while the recording runs (<c>.streams</c>): enough to finish it after a crash.</summary>
    public sealed record Entry(string File, string ConnectionId, string StreamId, string ClientData, string ServerData, string TypeOfVideo, long AddedAt);

    public static async Task<JobResult> WriteAsync(RecordingInfo recording, string folder, IReadOnlyList<File> files)
    {
        var name = recording.Name;
        string? error = null;
        try
        {
            var sync = System.IO.Path.Combine(folder, name + ".json");
            await System.IO.File.WriteAllBytesAsync(sync, SyncJson(recording, files));
            var zip = System.IO.Path.Combine(folder, name + ".zip");
            using var archive = ZipFile.Open(zip, ZipArchiveMode.Create);
            archive.CreateEntryFromFile(sync, name + ".json", CompressionLevel.NoCompression);
            foreach (var f in files) archive.CreateEntryFromFile(f.Path, System.IO.Path.GetFileName(f.Path), CompressionLevel.NoCompression);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = e.Message;
        }
        var size = files.Sum(f => new FileInfo(f.Path).Length);
        var duration = files.Count == 0 ? 0 : (files.Max(f => f.EndTimeOffset) - files.Min(f => f.StartTimeOffset)) / 1000.0;
        if (files.Count == 0) error ??= "no stream of the session was recorded (no camera with record:true played)";
        return new JobResult(size, duration, name + ".zip", error);
    }

    // OpenVidu's synchronization file: the recording, then one entry per file with its offsets.
    private static byte[] SyncJson(RecordingInfo recording, IReadOnlyList<File> files)
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
            foreach (var f in files)
            {
                w.WriteStartObject();
                w.WriteString("name", System.IO.Path.GetFileName(f.Path));
                w.WriteString("connectionId", f.ConnectionId);
                w.WriteString("streamId", f.StreamId);
                w.WriteNumber("size", new FileInfo(f.Path).Length);
                w.WriteString("clientData", f.ClientData);
                w.WriteString("serverData", f.ServerData);
                w.WriteBoolean("hasAudio", f.HasAudio);
                w.WriteBoolean("hasVideo", f.HasVideo);
                if (f.HasVideo) w.WriteString("typeOfVideo", f.TypeOfVideo);
                w.WriteNumber("startTimeOffset", f.StartTimeOffset);
                w.WriteNumber("endTimeOffset", f.EndTimeOffset);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }
}
