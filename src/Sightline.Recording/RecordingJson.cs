using System.Text.Json;
using Sightline.Sessions.Model;

namespace Sightline.Recording;

/// <summary>OpenVidu's <c>Recording</c> JSON (REST §6.6 key order), and reading it back from a recording's metadata file.</summary>
public static class RecordingJson
{
    public static void Write(Utf8JsonWriter w, RecordingInfo r)
    {
        var p = r.Properties;
        w.WriteStartObject();
        w.WriteString("id", r.Id);
        w.WriteString("object", "recording");
        w.WriteString("name", r.Name);
        w.WriteString("outputMode", p.OutputMode.ToString());
        if (p.IsComposedWithVideo)
        {
            w.WriteString("resolution", p.Resolution);
            w.WriteNumber("frameRate", p.FrameRate);
            w.WriteString("recordingLayout", p.RecordingLayout.ToString());
            if (p.RecordingLayout == RecordingLayout.CUSTOM) w.WriteString("customLayout", p.CustomLayout);
        }
        w.WriteString("sessionId", r.SessionId);
        if (p.MediaNode is not null) w.WriteString("mediaNode", p.MediaNode);
        w.WriteNumber("createdAt", r.CreatedAt);
        w.WriteNumber("size", r.Size);
        w.WriteNumber("duration", r.Duration);
        if (r.Url is null) w.WriteNull("url");
        else w.WriteString("url", r.Url);
        w.WriteBoolean("hasAudio", p.HasAudio);
        w.WriteBoolean("hasVideo", p.HasVideo);
        w.WriteString("status", r.Status.ToString());
        w.WriteEndObject();
    }

    public static byte[] ToBytes(RecordingInfo r)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) Write(w, r);
        return ms.ToArray();
    }

    /// <summary>Reads a recording written by <see cref="Write"/>; null when the text is not one.</summary>
    public static RecordingInfo? Read(ReadOnlySpan<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            var e = doc.RootElement;
            var props = new RecordingProperties
            {
                Name = e.GetProperty("name").GetString() ?? "",
                OutputMode = Enum.Parse<OutputMode>(e.GetProperty("outputMode").GetString()!),
                HasAudio = e.GetProperty("hasAudio").GetBoolean(),
                HasVideo = e.GetProperty("hasVideo").GetBoolean(),
            };
            if (e.TryGetProperty("resolution", out var res)) props = props with { Resolution = res.GetString()! };
            if (e.TryGetProperty("frameRate", out var fr)) props = props with { FrameRate = fr.GetInt32() };
            if (e.TryGetProperty("recordingLayout", out var rl)) props = props with { RecordingLayout = Enum.Parse<RecordingLayout>(rl.GetString()!) };
            if (e.TryGetProperty("customLayout", out var cl)) props = props with { CustomLayout = cl.GetString()! };
            if (e.TryGetProperty("mediaNode", out var mn)) props = props with { MediaNode = mn.GetString() };
            return new RecordingInfo(
                e.GetProperty("id").GetString()!,
                e.GetProperty("sessionId").GetString()!,
                e.GetProperty("createdAt").GetInt64(),
                props,
                Enum.Parse<RecordingStatus>(e.GetProperty("status").GetString()!),
                e.GetProperty("size").GetInt64(),
                e.GetProperty("duration").GetDouble(),
                e.GetProperty("url").ValueKind == JsonValueKind.String ? e.GetProperty("url").GetString() : null);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or ArgumentException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
