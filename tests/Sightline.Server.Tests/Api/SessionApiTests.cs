using System.Net;
using System.Text.Json;
using static Sightline.Server.Tests.Http;

namespace Sightline.Server.Tests.Api;

public sealed class SessionApiTests : IAsyncLifetime
{
    private RunningServer _server = null!;
    private HttpClient C => _server.Client;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    // Exactly what openvidu-node-client 2.32.2 sends for createSession() with no arguments.
    private const string NodeClientDefaultBody =
        "{\"mediaMode\":\"ROUTED\",\"recordingMode\":\"MANUAL\",\"customSessionId\":\"\",\"defaultRecordingProperties\":{\"name\":\"\",\"hasAudio\":true,\"hasVideo\":true,\"outputMode\":\"COMPOSED\",\"recordingLayout\":\"BEST_FIT\",\"resolution\":\"1280x720\",\"frameRate\":25,\"shmSize\":536870912}}";

    [Fact]
    public async Task Create_WithNodeClientDefaults_ReturnsSessionJson_InOpenViduKeyOrder()
    {
        var (status, json, _) = await PostAsync(C, "/openvidu/api/sessions", NodeClientDefaultBody);
        Assert.Equal(HttpStatusCode.OK, status);
        var s = json!.Value;
        Assert.Equal(
            ["id", "object", "sessionId", "createdAt", "recording", "broadcasting", "mediaMode", "recordingMode", "defaultRecordingProperties", "customSessionId", "forcedVideoCodec", "allowTranscoding", "connections"],
            Keys(s));
        Assert.Matches("^ses_[A-Z][0-9A-Za-z]{9}$", s.GetProperty("id").GetString());
        Assert.Equal(s.GetProperty("id").GetString(), s.GetProperty("sessionId").GetString());
        Assert.Equal("", s.GetProperty("customSessionId").GetString());
        Assert.Equal("MEDIA_SERVER_PREFERRED", s.GetProperty("forcedVideoCodec").GetString());
        Assert.False(s.GetProperty("allowTranscoding").GetBoolean());
        Assert.Equal(["name", "hasAudio", "hasVideo", "outputMode", "recordingLayout", "resolution", "frameRate", "shmSize"], Keys(s.GetProperty("defaultRecordingProperties")));
        Assert.Equal(0, s.GetProperty("connections").GetProperty("numberOfElements").GetInt32());
        Assert.Equal(JsonValueKind.Array, s.GetProperty("connections").GetProperty("content").ValueKind);
    }

    [Fact]
    public async Task Create_WithoutBody_UsesDefaults()
    {
        var (status, json, _) = await SendAsync(C, HttpMethod.Post, "/openvidu/api/sessions");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ROUTED", json!.Value.GetProperty("mediaMode").GetString());
    }

    [Fact]
    public async Task Create_WithCustomId_Twice_Answers409_WithEmptyBody()
    {
        var (status, json, _) = await PostAsync(C, "/openvidu/api/sessions", "{\"customSessionId\":\"lobby-1\",\"mediaNode\":{\"id\":\"media_x\"},\"forcedVideoCodec\":\"H264\",\"allowTranscoding\":true}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("lobby-1", json!.Value.GetProperty("id").GetString());
        Assert.Equal("media_x", json.Value.GetProperty("mediaNode").GetProperty("id").GetString());
        Assert.Equal("H264", json.Value.GetProperty("forcedVideoCodec").GetString());
        Assert.True(json.Value.GetProperty("allowTranscoding").GetBoolean());
        var (again, _, text) = await PostAsync(C, "/openvidu/api/sessions", "{\"customSessionId\":\"lobby-1\"}");
        Assert.Equal(HttpStatusCode.Conflict, again);
        Assert.Equal("", text);
    }

    [Theory]
    [InlineData("{\"customSessionId\":\"bad id!\"}", "Some parameter is not valid. Parameter 'customSessionId' is wrong. Must be an alphanumeric string [a-zA-Z0-9_-]")]
    [InlineData("{\"mediaMode\":\"FOO\"}", "Some parameter is not valid. No enum constant io.openvidu.java.client.MediaMode.FOO")]
    [InlineData("{\"recordingMode\":\"SOMETIMES\"}", "Some parameter is not valid. No enum constant io.openvidu.java.client.RecordingMode.SOMETIMES")]
    [InlineData("{\"forcedVideoCodec\":\"XYZ\"}", "Invalid value for parameter 'forcedVideoCodec': No enum constant io.openvidu.java.client.VideoCodec.XYZ")]
    [InlineData("{\"mediaMode\":5}", "Type error in some parameter: class java.lang.Integer cannot be cast to class java.lang.String (java.lang.Integer and java.lang.String are in module java.base of loader 'bootstrap')")]
    [InlineData("{\"allowTranscoding\":\"yes\"}", "Type error in some parameter: class java.lang.String cannot be cast to class java.lang.Boolean (java.lang.String and java.lang.Boolean are in module java.base of loader 'bootstrap')")]
    [InlineData("{\"mediaNode\":{\"name\":\"x\"}}", "Some parameter is not valid. Error in parameter 'mediaNode'. Property 'id' not found")]
    [InlineData("{\"defaultRecordingProperties\":{\"frameRate\":500}}", "Some parameter is not valid. Parameter 'defaultRecordingProperties' is not valid: Wrong \"frameRate\" parameter. Acceptable values are [1,120]: 500")]
    [InlineData("{\"defaultRecordingProperties\":{\"outputMode\":\"SIDEWAYS\"}}", "Some parameter is not valid. Parameter 'defaultRecordingProperties' is not valid: No enum constant io.openvidu.java.client.Recording.OutputMode.SIDEWAYS")]
    public async Task Create_WithBadParameter_Answers400_WithOpenViduErrorJson(string body, string message)
    {
        var before = (await GetAsync(C, "/openvidu/api/sessions")).Json!.Value.GetProperty("numberOfElements").GetInt32();
        var (status, json, _) = await PostAsync(C, "/openvidu/api/sessions", body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var e = json!.Value;
        Assert.Equal(["timestamp", "status", "error", "message", "path"], Keys(e));
        Assert.Equal(400, e.GetProperty("status").GetInt32());
        Assert.Equal("Bad Request", e.GetProperty("error").GetString());
        Assert.Equal(message, e.GetProperty("message").GetString());
        Assert.Equal("/openvidu/api/sessions", e.GetProperty("path").GetString());
        var after = (await GetAsync(C, "/openvidu/api/sessions")).Json!.Value.GetProperty("numberOfElements").GetInt32();
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Create_WithMalformedJson_Answers400_AndWithFormContentType_Answers415()
    {
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(C, "/openvidu/api/sessions", "{\"mediaMode\":")).Status);
        using var form = new HttpRequestMessage(HttpMethod.Post, "/openvidu/api/sessions") { Content = new StringContent("a=b", System.Text.Encoding.UTF8, "text/plain") };
        using var response = await C.SendAsync(form);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Get_List_Delete_FollowOpenVidu()
    {
        var id = await CreateSessionAsync(C);
        var (status, json, _) = await GetAsync(C, $"/openvidu/api/sessions/{id}?pendingConnections=true&webRtcStats=false");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(id, json!.Value.GetProperty("sessionId").GetString());

        var list = (await GetAsync(C, "/openvidu/api/sessions")).Json!.Value;
        Assert.Equal(["numberOfElements", "content"], Keys(list));
        Assert.Contains(list.GetProperty("content").EnumerateArray(), s => s.GetProperty("id").GetString() == id);

        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(C, "/openvidu/api/sessions/ses_nope")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync(C, $"/openvidu/api/sessions/{id}")).Status);
        var (gone, _, text) = await GetAsync(C, $"/openvidu/api/sessions/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone);
        Assert.Equal("", text);
        Assert.Equal(HttpStatusCode.NotFound, (await DeleteAsync(C, $"/openvidu/api/sessions/{id}")).Status);
    }

    [Fact]
    public async Task PendingConnections_AreListedOnlyWhenAsked()
    {
        var id = await CreateSessionAsync(C);
        await PostAsync(C, $"/openvidu/api/sessions/{id}/connection", "{}");
        var without = (await GetAsync(C, $"/openvidu/api/sessions/{id}")).Json!.Value;
        Assert.Equal(0, without.GetProperty("connections").GetProperty("numberOfElements").GetInt32());
        var with = (await GetAsync(C, $"/openvidu/api/sessions/{id}?pendingConnections=true")).Json!.Value;
        Assert.Equal(1, with.GetProperty("connections").GetProperty("numberOfElements").GetInt32());
    }

    [Fact]
    public async Task WebRtcStats_AddsEndpointKeysBeforePublisherKeys()
    {
        var id = await CreateSessionAsync(C);
        await AddCameraAsync(C, id);
        var s = (await GetAsync(C, $"/openvidu/api/sessions/{id}?webRtcStats=true")).Json!.Value;
        var publisher = s.GetProperty("connections").GetProperty("content")[0].GetProperty("publishers")[0];
        Assert.Equal("webrtcEndpointName", Keys(publisher)[0]);
        Assert.DoesNotContain("localSdp", Keys(publisher)); // not for IPCAM player endpoints
    }
}
