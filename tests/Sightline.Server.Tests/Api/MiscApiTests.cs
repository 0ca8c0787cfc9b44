using System.Net;
using System.Net.Http.Headers;
using System.Text;
using static Sightline.Server.Tests.Http;

namespace Sightline.Server.Tests.Api;

public sealed class MiscApiTests : IAsyncLifetime
{
    private RunningServer _server = null!;
    private HttpClient C => _server.Client;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync(new Dictionary<string, string?>
    {
        ["OPENVIDU_PUBLICURL"] = "http://localhost:4443/",
    });
    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Api_RequiresBasicAuth_WithTheSecret()
    {
        var anonymous = await _server.Anonymous.GetAsync("/openvidu/api/sessions");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Basic realm=\"Realm\"", anonymous.Headers.WwwAuthenticate.ToString());

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/openvidu/api/sessions");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("OPENVIDUAPP:NOT_IT")));
        Assert.Equal(HttpStatusCode.Unauthorized, (await _server.Anonymous.SendAsync(wrong)).StatusCode);

        using var wrongUser = new HttpRequestMessage(HttpMethod.Get, "/openvidu/api/sessions");
        wrongUser.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:MY_SECRET")));
        Assert.Equal(HttpStatusCode.Unauthorized, (await _server.Anonymous.SendAsync(wrongUser)).StatusCode);

        using var garbage = new HttpRequestMessage(HttpMethod.Get, "/openvidu/api/sessions");
        garbage.Headers.TryAddWithoutValidation("Authorization", "Basic !!!not-base64!!!");
        Assert.Equal(HttpStatusCode.Unauthorized, (await _server.Anonymous.SendAsync(garbage)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await C.GetAsync("/openvidu/api/sessions")).StatusCode);
        var publicUrl = await _server.Anonymous.GetAsync("/openvidu/api/config/openvidu-publicurl");
        Assert.Equal(HttpStatusCode.OK, publicUrl.StatusCode);
        Assert.Equal("http://localhost:4443", await publicUrl.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Cors_Preflight_IsAllowedFromAnyOrigin()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/openvidu/api/sessions");
        preflight.Headers.Add("Origin", "http://app.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        var response = await _server.Anonymous.SendAsync(preflight);
        Assert.True(response.IsSuccessStatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task Tokens_LegacyRoute_CreatesPendingConnection()
    {
        var id = await CreateSessionAsync(C);
        var (status, json, _) = await PostAsync(C, "/openvidu/api/tokens", $"{{\"session\":\"{id}\",\"role\":\"SUBSCRIBER\",\"data\":\"d\"}}");
        Assert.Equal(HttpStatusCode.OK, status);
        var t = json!.Value;
        Assert.Equal(["id", "token", "createdAt", "connectionId", "session", "data", "role"], Keys(t));
        Assert.Equal(t.GetProperty("id").GetString(), t.GetProperty("token").GetString());
        Assert.StartsWith($"ws://localhost:4443?sessionId={id}&token=tok_", t.GetProperty("token").GetString());
        Assert.Equal("SUBSCRIBER", t.GetProperty("role").GetString());
        var pending = (await GetAsync(C, $"/openvidu/api/sessions/{id}/connection/{t.GetProperty("connectionId").GetString()}")).Json!.Value;
        Assert.Equal("pending", pending.GetProperty("status").GetString());

        Assert.Equal("\"session\" parameter is mandatory", (await PostAsync(C, "/openvidu/api/tokens", "{\"role\":\"PUBLISHER\"}")).Json!.Value.GetProperty("message").GetString());
        Assert.Equal("Error in body parameters. Cannot be empty", (await PostAsync(C, "/openvidu/api/tokens", null)).Json!.Value.GetProperty("message").GetString());
        var missing = await PostAsync(C, "/openvidu/api/tokens", "{\"session\":\"ses_nope\"}");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("Session ses_nope not found", missing.Json!.Value.GetProperty("message").GetString());
        var badRole = await PostAsync(C, "/openvidu/api/tokens", $"{{\"session\":\"{id}\",\"role\":\"BOSS\"}}");
        Assert.Equal(HttpStatusCode.BadRequest, badRole.Status);
        Assert.Equal($"/openvidu/api/sessions/{id}/connection", badRole.Json!.Value.GetProperty("path").GetString());
    }

    [Fact]
    public async Task Signal_StatusCodes_FollowOpenVidu()
    {
        var id = await CreateSessionAsync(C);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(C, "/openvidu/api/signal", "{\"session\":\"ses_nope\"}")).Status);
        Assert.Equal(HttpStatusCode.NotAcceptable, (await PostAsync(C, "/openvidu/api/signal", $"{{\"session\":\"{id}\"}}")).Status);
        var cam = await AddCameraAsync(C, id);
        var (ok, _, body) = await PostAsync(C, "/openvidu/api/signal", $"{{\"session\":\"{id}\",\"type\":\"chat\",\"data\":\"hello\"}}");
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal("", body);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(C, "/openvidu/api/signal", $"{{\"session\":\"{id}\",\"to\":[\"{cam.GetProperty("id").GetString()}\"]}}")).Status);
        var badTo = await PostAsync(C, "/openvidu/api/signal", $"{{\"session\":\"{id}\",\"to\":[\"con_nope\"]}}");
        Assert.Equal(HttpStatusCode.NotAcceptable, badTo.Status);
        Assert.Equal("\"to\" array has no valid connection identifiers", badTo.Json!.Value.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(C, "/openvidu/api/signal", "{\"type\":\"x\"}")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(C, "/openvidu/api/signal", null)).Status);
    }

    [Fact]
    public async Task Config_HasOpenViduKeys_InOrder()
    {
        var (status, json, _) = await GetAsync(C, "/openvidu/api/config");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(
            ["VERSION", "DOMAIN_OR_PUBLIC_IP", "HTTPS_PORT", "OPENVIDU_PUBLICURL", "OPENVIDU_CDR", "OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH",
             "OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH", "OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH", "OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH",
             "OPENVIDU_STREAMS_FORCED_VIDEO_CODEC", "OPENVIDU_STREAMS_ALLOW_TRANSCODING", "OPENVIDU_WEBRTC_SIMULCAST",
             "OPENVIDU_SESSIONS_GARBAGE_INTERVAL", "OPENVIDU_SESSIONS_GARBAGE_THRESHOLD", "OPENVIDU_RECORDING", "OPENVIDU_WEBHOOK"],
            Keys(json!.Value));
        Assert.Equal("2.32.2", json.Value.GetProperty("VERSION").GetString());
        Assert.Equal("2.32.2", await C.GetStringAsync("/openvidu/api/config/openvidu-version"));
    }

    [Fact]
    public async Task Health_Recordings_UnknownRoutes_WrongMethods()
    {
        Assert.Equal("{\"status\":\"UP\"}", (await GetAsync(C, "/openvidu/api/health")).Text);
        Assert.Equal(HttpStatusCode.NotImplemented, (await GetAsync(C, "/openvidu/api/recordings")).Status);
        Assert.Equal(HttpStatusCode.NotImplemented, (await PostAsync(C, "/openvidu/api/recordings/start", "{\"session\":\"x\"}")).Status);
        var unknown = await GetAsync(C, "/openvidu/api/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal(404, unknown.Json!.Value.GetProperty("status").GetInt32());
        Assert.Equal("/openvidu/api/nothing-here", unknown.Json.Value.GetProperty("path").GetString());
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await SendAsync(C, HttpMethod.Put, "/openvidu/api/sessions", "{}")).Status);
    }

    [Fact]
    public async Task DeprecatedPaths_AreRewritten()
    {
        var (status, json, _) = await PostAsync(C, "/api/sessions", "{\"customSessionId\":\"legacy\"}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("legacy", json!.Value.GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(C, "/config")).Status);
    }

    [Fact]
    public async Task GarbageCollector_RemovesSessionsNobodyJoined()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["OPENVIDU_SESSIONS_GARBAGE_INTERVAL"] = "1",
            ["OPENVIDU_SESSIONS_GARBAGE_THRESHOLD"] = "1",
        });
        var idle = await CreateSessionAsync(server.Client);
        var used = await CreateSessionAsync(server.Client);
        await AddCameraAsync(server.Client, used);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && (await GetAsync(server.Client, $"/openvidu/api/sessions/{idle}")).Status == HttpStatusCode.OK)
        {
            await Task.Delay(200);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(server.Client, $"/openvidu/api/sessions/{idle}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(server.Client, $"/openvidu/api/sessions/{used}")).Status);
    }

    [Theory]
    [InlineData("OPENVIDU_SECRET", "bad secret!")]
    [InlineData("SERVER_PORT", "99999")]
    [InlineData("OPENVIDU_WEBHOOK", "maybe")]
    [InlineData("OPENVIDU_WEBHOOK_EVENTS", "[\"sessionCreated\",\"teaTime\"]")]
    [InlineData("OPENVIDU_WEBHOOK_HEADERS", "[\"NoColon\"]")]
    public void BadConfiguration_StopsStartup_NamingTheKey(string key, string value)
    {
        var e = Assert.Throws<InvalidOperationException>(() => Sightline.Server.Hosting.SightlineHost.Build([], new Dictionary<string, string?> { [key] = value }));
        Assert.Contains(key, e.Message);
    }
}
