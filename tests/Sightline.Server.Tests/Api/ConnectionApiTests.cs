using System.Net;
using System.Text.Json;
using static Sightline.Server.Tests.Http;

namespace Sightline.Server.Tests.Api;

public sealed class ConnectionApiTests : IAsyncLifetime
{
    private RunningServer _server = null!;
    private HttpClient C => _server.Client;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync(new Dictionary<string, string?>
    {
        ["DOMAIN_OR_PUBLIC_IP"] = "ov.example.com",
        ["HTTPS_PORT"] = "443",
        ["FORCE_PLAIN_HTTP"] = "false",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static readonly string[] ActiveKeys =
    [
        "id", "object", "status", "connectionId", "sessionId", "createdAt", "activeAt", "location", "ip", "platform", "token", "type", "record",
        "role", "kurentoOptions", "customIceServers", "rtspUri", "adaptativeBitrate", "onlyPlayWithSubscribers", "networkCache", "serverData",
        "clientData", "publishers", "subscribers",
    ];

    private static readonly string[] PendingKeys =
    [
        "id", "object", "status", "connectionId", "sessionId", "createdAt", "type", "record", "role", "kurentoOptions", "customIceServers",
        "rtspUri", "adaptativeBitrate", "onlyPlayWithSubscribers", "networkCache", "serverData", "token", "activeAt", "location", "ip",
        "platform", "clientData", "publishers", "subscribers",
    ];

    [Fact]
    public async Task WebRtcConnection_IsPending_WithWssTokenUrl()
    {
        var id = await CreateSessionAsync(C);
        var (status, json, _) = await PostAsync(C, $"/openvidu/api/sessions/{id}/connection",
            "{\"type\":\"WEBRTC\",\"data\":\"user-1\",\"role\":\"MODERATOR\",\"record\":false,\"kurentoOptions\":{\"videoMaxRecvBandwidth\":1000,\"allowedFilters\":[\"GStreamerFilter\"]},\"customIceServers\":[{\"url\":\"turn:turn.example.com:3478\",\"username\":\"u\",\"credential\":\"p\"}]}");
        Assert.Equal(HttpStatusCode.OK, status);
        var c = json!.Value;
        Assert.Equal(PendingKeys, Keys(c));
        Assert.Equal("pending", c.GetProperty("status").GetString());
        Assert.Matches("^con_[A-Z][0-9A-Za-z]{9}$", c.GetProperty("connectionId").GetString());
        Assert.Matches($"^wss://ov\\.example\\.com\\?sessionId={id}&token=tok_[A-Z][0-9A-Za-z]{{15}}$", c.GetProperty("token").GetString());
        Assert.Equal("MODERATOR", c.GetProperty("role").GetString());
        Assert.False(c.GetProperty("record").GetBoolean());
        Assert.Equal("user-1", c.GetProperty("serverData").GetString());
        Assert.Equal("{\"videoMaxRecvBandwidth\":1000,\"allowedFilters\":[\"GStreamerFilter\"]}", c.GetProperty("kurentoOptions").GetRawText());
        Assert.Equal("{\"url\":\"turn:turn.example.com:3478\",\"username\":\"u\",\"credential\":\"p\"}", c.GetProperty("customIceServers")[0].GetRawText());
        Assert.Equal(JsonValueKind.Null, c.GetProperty("rtspUri").ValueKind);
        Assert.Equal(JsonValueKind.Null, c.GetProperty("publishers").ValueKind);
    }

    [Fact]
    public async Task NodeClientNullBody_GivesDefaultPublisherConnection()
    {
        var id = await CreateSessionAsync(C);
        var (status, json, _) = await PostAsync(C, $"/openvidu/api/sessions/{id}/connection",
            "{\"type\":null,\"data\":null,\"record\":null,\"role\":null,\"kurentoOptions\":null,\"rtspUri\":null,\"adaptativeBitrate\":null,\"onlyPlayWithSubscribers\":null,\"networkCache\":null,\"customIceServers\":null}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("WEBRTC", json!.Value.GetProperty("type").GetString());
        Assert.Equal("PUBLISHER", json.Value.GetProperty("role").GetString());
        Assert.True(json.Value.GetProperty("record").GetBoolean());
        Assert.Equal("", json.Value.GetProperty("serverData").GetString());
    }

    [Fact]
    public async Task IpCamera_WithAllSevenProperties_IsActivePublisher_WithExactShape()
    {
        var id = await CreateSessionAsync(C);
        var (status, json, _) = await PostAsync(C, $"/openvidu/api/sessions/{id}/connection",
            "{\"type\":\"IPCAM\",\"data\":\"cam-A\",\"record\":false,\"rtspUri\":\"rtsp://10.0.0.7:554/live/ch-1\",\"adaptativeBitrate\":false,\"onlyPlayWithSubscribers\":false,\"networkCache\":500}");
        Assert.Equal(HttpStatusCode.OK, status);
        var c = json!.Value;
        // OpenVidu's keys in OpenVidu's order, then Sightline's camera status.
        Assert.Equal([.. ActiveKeys, "cameraStatus"], Keys(c));
        var camera = c.GetProperty("cameraStatus");
        Assert.Contains(camera.GetProperty("state").GetString(), new[] { "connecting", "reconnecting", "failed", "playing" });
        Assert.Equal(0, camera.GetProperty("viewers").GetInt32());
        var cid = c.GetProperty("connectionId").GetString()!;
        Assert.Matches("^ipc_IPCAM_rtsp_[0-9A-Z]{4}_10_0_0_7_554_live_ch1$", cid);
        Assert.Equal("active", c.GetProperty("status").GetString());
        Assert.Equal("IPCAM", c.GetProperty("type").GetString());
        Assert.Equal("IPCAM", c.GetProperty("platform").GetString());
        Assert.Equal("unknown", c.GetProperty("location").GetString());
        Assert.Equal("10.0.0.7", c.GetProperty("ip").GetString());
        Assert.Equal(JsonValueKind.Null, c.GetProperty("role").ValueKind);
        Assert.Equal(JsonValueKind.Null, c.GetProperty("token").ValueKind);
        Assert.Equal(JsonValueKind.Null, c.GetProperty("clientData").ValueKind);
        Assert.False(c.GetProperty("record").GetBoolean());
        Assert.False(c.GetProperty("adaptativeBitrate").GetBoolean());
        Assert.False(c.GetProperty("onlyPlayWithSubscribers").GetBoolean());
        Assert.Equal(500, c.GetProperty("networkCache").GetInt32());
        Assert.Equal("cam-A", c.GetProperty("serverData").GetString());
        var pub = Assert.Single(c.GetProperty("publishers").EnumerateArray());
        Assert.Equal(["createdAt", "streamId", "rtspUri", "mediaOptions"], Keys(pub));
        Assert.Matches($"^str_IPC_[A-Z][0-9A-Za-z]{{3}}_{cid}$", pub.GetProperty("streamId").GetString());
        Assert.Equal(
            "{\"hasAudio\":true,\"audioActive\":true,\"hasVideo\":true,\"videoActive\":true,\"typeOfVideo\":\"IPCAM\",\"frameRate\":null,\"videoDimensions\":null,\"filter\":{},\"adaptativeBitrate\":false,\"onlyPlayWithSubscribers\":false,\"networkCache\":500}",
            pub.GetProperty("mediaOptions").GetRawText());
        Assert.Empty(c.GetProperty("subscribers").EnumerateArray());
    }

    [Fact]
    public async Task IpCamera_Defaults_AreTrueTrue2000_AndRecordTrue()
    {
        var id = await CreateSessionAsync(C);
        var c = await AddCameraAsync(C, id, "rtsp://user:pass@cam.invalid/stream?profile=1");
        Assert.True(c.GetProperty("adaptativeBitrate").GetBoolean());
        Assert.True(c.GetProperty("onlyPlayWithSubscribers").GetBoolean());
        Assert.Equal(2000, c.GetProperty("networkCache").GetInt32());
        Assert.True(c.GetProperty("record").GetBoolean());
        Assert.Equal("", c.GetProperty("serverData").GetString());
        // onlyPlayWithSubscribers: nobody watches, so the camera is not contacted.
        Assert.Equal("idle", c.GetProperty("cameraStatus").GetProperty("state").GetString());
        // The URI is echoed as sent; a name that does not resolve leaves ip null (not an error).
        Assert.Equal("rtsp://user:pass@cam.invalid/stream?profile=1", c.GetProperty("rtspUri").GetString());
        Assert.Equal(JsonValueKind.Null, c.GetProperty("ip").ValueKind);
        Assert.Matches("^ipc_IPCAM_rtsp_[0-9A-Z]{4}_cam_invalid_stream$", c.GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("{\"type\":\"IPCAM\"}", "\"rtspUri\" parameter is not a valid rtsp uri")]
    [InlineData("{\"type\":\"IPCAM\",\"rtspUri\":null}", "\"rtspUri\" parameter is not a valid rtsp uri")]
    [InlineData("{\"type\":\"IPCAM\",\"rtspUri\":\"not a url\"}", "Error in parameter 'rtspUri': Illegal character in path at index 3: not a url")]
    [InlineData("{\"type\":\"IPCAM\",\"rtspUri\":\"rtsp://bad host/x\"}", "Error in parameter 'rtspUri': Illegal character in authority at index 7: rtsp://bad host/x")]
    [InlineData("{\"type\":\"IPCAM\",\"rtspUri\":\"ftp://cam/x\"}", "Error in parameter 'rtspUri': RTSP URI does not contain a valid protocol [file, rtsp, rtsps, http, https]")]
    [InlineData("{\"type\":\"IPCAM\",\"rtspUri\":\"RTSP://cam/x\"}", "Error in parameter 'rtspUri': RTSP URI does not contain a valid protocol [file, rtsp, rtsps, http, https]")]
    [InlineData("{\"type\":\"IPCAM\",\"rtspUri\":\"rtsp://cam/x\",\"adaptativeBitrate\":\"true\"}", "Type error in some parameter: class java.lang.String cannot be cast to class java.lang.Boolean (java.lang.String and java.lang.Boolean are in module java.base of loader 'bootstrap')")]
    [InlineData("{\"type\":\"IPCAM\",\"rtspUri\":\"rtsp://cam/x\",\"networkCache\":\"2000\"}", "Type error in some parameter: class java.lang.String cannot be cast to class java.lang.Number (java.lang.String and java.lang.Number are in module java.base of loader 'bootstrap')")]
    [InlineData("{\"type\":\"IPCAM\",\"rtspUri\":42}", "Type error in some parameter: class java.lang.Integer cannot be cast to class java.lang.String (java.lang.Integer and java.lang.String are in module java.base of loader 'bootstrap')")]
    [InlineData("{\"type\":\"CAMERA\"}", "Parameter 'type' CAMERA is not defined")]
    [InlineData("{\"role\":\"ADMIN\"}", "Parameter role ADMIN is not defined")]
    [InlineData("{\"record\":\"no\"}", "Type error in parameter 'record': class java.lang.String cannot be cast to class java.lang.Boolean (java.lang.String and java.lang.Boolean are in module java.base of loader 'bootstrap')")]
    [InlineData("{\"data\":{}}", "Type error in some parameter: class java.util.LinkedHashMap cannot be cast to class java.lang.String (java.util.LinkedHashMap and java.lang.String are in module java.base of loader 'bootstrap')")]
    [InlineData("{\"kurentoOptions\":\"fast\"}", "Error in parameter 'kurentoOptions'. It is not a valid JSON object")]
    public async Task BadConnectionBody_Answers400_AndCreatesNothing(string body, string message)
    {
        var id = await CreateSessionAsync(C);
        var (status, json, _) = await PostAsync(C, $"/openvidu/api/sessions/{id}/connection", body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(message, json!.Value.GetProperty("message").GetString());
        Assert.Equal($"/openvidu/api/sessions/{id}/connection", json.Value.GetProperty("path").GetString());
        var list = (await GetAsync(C, $"/openvidu/api/sessions/{id}/connection")).Json!.Value;
        Assert.Equal(0, list.GetProperty("numberOfElements").GetInt32());
    }

    [Fact]
    public async Task Connection_OnUnknownSession_Answers404_EmptyBody()
    {
        var (status, _, text) = await PostAsync(C, "/openvidu/api/sessions/ses_nope/connection", "{\"type\":\"IPCAM\",\"rtspUri\":\"rtsp://cam/x\"}");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("", text);
    }

    [Fact]
    public async Task GetOne_GetList_DeleteConnection_StatusCodes()
    {
        var id = await CreateSessionAsync(C);
        var cam = await AddCameraAsync(C, id);
        var camId = cam.GetProperty("id").GetString();
        var pending = (await PostAsync(C, $"/openvidu/api/sessions/{id}/connection", "{}")).Json!.Value.GetProperty("id").GetString();

        var one = await GetAsync(C, $"/openvidu/api/sessions/{id}/connection/{camId}");
        Assert.Equal(HttpStatusCode.OK, one.Status);
        Assert.Equal(cam.GetRawText(), one.Json!.Value.GetRawText());
        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync(C, $"/openvidu/api/sessions/ses_nope/connection/{camId}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(C, $"/openvidu/api/sessions/{id}/connection/con_nope")).Status);

        var all = (await GetAsync(C, $"/openvidu/api/sessions/{id}/connection")).Json!.Value;
        Assert.Equal(2, all.GetProperty("numberOfElements").GetInt32());
        var activeOnly = (await GetAsync(C, $"/openvidu/api/sessions/{id}/connection?pendingConnections=false")).Json!.Value;
        Assert.Equal(1, activeOnly.GetProperty("numberOfElements").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(C, "/openvidu/api/sessions/ses_nope/connection")).Status);

        Assert.Equal(HttpStatusCode.BadRequest, (await DeleteAsync(C, $"/openvidu/api/sessions/ses_nope/connection/{pending}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await DeleteAsync(C, $"/openvidu/api/sessions/{id}/connection/con_nope")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync(C, $"/openvidu/api/sessions/{id}/connection/{pending}")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync(C, $"/openvidu/api/sessions/{id}/connection/{camId}")).Status);
        // The camera was the only participant: the session is gone with it.
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(C, $"/openvidu/api/sessions/{id}")).Status);
    }

    [Fact]
    public async Task DeleteCameraStream_Answers405_AndCameraStaysPublished()
    {
        var id = await CreateSessionAsync(C);
        var cam = await AddCameraAsync(C, id);
        var streamId = cam.GetProperty("publishers")[0].GetProperty("streamId").GetString();
        var (status, _, text) = await DeleteAsync(C, $"/openvidu/api/sessions/{id}/stream/{streamId}");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Assert.Equal("", text);
        var after = (await GetAsync(C, $"/openvidu/api/sessions/{id}/connection/{cam.GetProperty("id").GetString()}")).Json!.Value;
        Assert.Equal(streamId, after.GetProperty("publishers")[0].GetProperty("streamId").GetString());

        Assert.Equal(HttpStatusCode.NotFound, (await DeleteAsync(C, $"/openvidu/api/sessions/{id}/stream/str_CAM_Abcd_con_nope")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await DeleteAsync(C, $"/openvidu/api/sessions/ses_nope/stream/{streamId}")).Status);
        var empty = await CreateSessionAsync(C);
        Assert.Equal(HttpStatusCode.NotFound, (await DeleteAsync(C, $"/openvidu/api/sessions/{empty}/stream/{streamId}")).Status);
    }

    [Fact]
    public async Task Patch_ChangesRoleAndRecord_AsOpenViduPro()
    {
        var id = await CreateSessionAsync(C);
        var cid = (await PostAsync(C, $"/openvidu/api/sessions/{id}/connection", "{\"role\":\"SUBSCRIBER\"}")).Json!.Value.GetProperty("id").GetString();
        var (status, json, _) = await SendAsync(C, HttpMethod.Patch, $"/openvidu/api/sessions/{id}/connection/{cid}", "{\"role\":\"MODERATOR\",\"record\":false}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("MODERATOR", json!.Value.GetProperty("role").GetString());
        Assert.False(json.Value.GetProperty("record").GetBoolean());
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(C, HttpMethod.Patch, $"/openvidu/api/sessions/{id}/connection/{cid}", "{\"role\":\"KING\"}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(C, HttpMethod.Patch, $"/openvidu/api/sessions/{id}/connection/con_nope", "{\"record\":true}")).Status);
    }

    [Fact]
    public async Task NetworkCache_IsTruncatedToInt_AsJavaNumberIntValue()
    {
        var id = await CreateSessionAsync(C);
        var c = await AddCameraAsync(C, id, extra: ",\"networkCache\":150.9");
        Assert.Equal(150, c.GetProperty("networkCache").GetInt32());
    }
}
