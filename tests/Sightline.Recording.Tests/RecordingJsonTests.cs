using System.Text.Json;
using Sightline.Sessions.Model;

namespace Sightline.Recording.Tests;

public sealed class RecordingJsonTests
{
    private static string[] Keys(byte[] json) => [.. JsonDocument.Parse(json).RootElement.EnumerateObject().Select(p => p.Name)];

    [Fact]
    public void Composed_HasOpenViduKeysInOrder_AndReadsBack()
    {
        var r = new RecordingInfo("ses_A-1", "ses_A", 1_712_345_670_000, new RecordingProperties { Name = "cam" }, RecordingStatus.ready, 1234, 10.5, "https://ov.example.com/openvidu/recordings/ses_A-1/ses_A-1.mp4");
        var json = RecordingJson.ToBytes(r);
        Assert.Equal(["id", "object", "name", "outputMode", "resolution", "frameRate", "recordingLayout", "sessionId", "createdAt", "size", "duration", "url", "hasAudio", "hasVideo", "status"], Keys(json));
        Assert.Equal(r, RecordingJson.Read(json));
    }

    [Fact]
    public void Individual_HasNoComposedKeys_AndANullUrlUntilReady()
    {
        var r = new RecordingInfo("ses_B", "ses_B", 5, new RecordingProperties { OutputMode = OutputMode.INDIVIDUAL, MediaNode = "node" }, RecordingStatus.started, 0, 0, null);
        var json = RecordingJson.ToBytes(r);
        Assert.Equal(["id", "object", "name", "outputMode", "sessionId", "mediaNode", "createdAt", "size", "duration", "url", "hasAudio", "hasVideo", "status"], Keys(json));
        var doc = JsonDocument.Parse(json).RootElement;
        Assert.Equal("ses_B", doc.GetProperty("name").GetString()); // the id when no name was given
        Assert.Equal(JsonValueKind.Null, doc.GetProperty("url").ValueKind);
        Assert.Equal("started", doc.GetProperty("status").GetString());
    }

    [Fact]
    public void NotARecording_ReadsAsNull() => Assert.Null(RecordingJson.Read("{\"id\":1}"u8));
}
