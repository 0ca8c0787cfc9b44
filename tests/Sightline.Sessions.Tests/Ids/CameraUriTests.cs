using Sightline.Sessions.Ids;

namespace Sightline.Sessions.Tests.Ids;

public class CameraUriTests
{
    [Theory]
    [InlineData("rtsp://10.0.0.7:554/live/ch-1", "K3ZQ", "ipc_IPCAM_rtsp_K3ZQ_10_0_0_7_554_live_ch1")]
    [InlineData("rtsp://cam.local/stream", "0B7T", "ipc_IPCAM_rtsp_0B7T_cam_local_stream")]
    [InlineData("https://x.com:8443/a.mp4", "Q1W2", "ipc_IPCAM_https_Q1W2_x_com_8443_a_mp4")]
    [InlineData("file:///videos/a.mp4", "7HQ2", "ipc_IPCAM_file_7HQ2_null_videos_a_mp4")]
    [InlineData("rtsp://admin:p%40ss@192.168.1.64:554/Streaming/Channels/101?transportmode=unicast", "AB12", "ipc_IPCAM_rtsp_AB12_192_168_1_64_554_Streaming_Channels_101")]
    [InlineData("rtsp://my_cam/live", "ZZ99", "ipc_IPCAM_rtsp_ZZ99_null_live")]
    [InlineData("rtsp://127.0.0.1:8554/cam", "0000", "ipc_IPCAM_rtsp_0000_127_0_0_1_8554_cam")]
    [InlineData("rtsp://cam.example.com/under_score~x", "AAAA", "ipc_IPCAM_rtsp_AAAA_cam_example_com_under_score~x")]
    public void ConnectionId_IsDerivedFromSchemeHostPortAndPath_AsOpenViduDoes(string uri, string tag, string expected)
    {
        Assert.True(CameraUri.TryParse(uri, out var parsed, out var error), error);
        Assert.Equal(expected, IpCameraIds.ConnectionId(parsed!, tag));
    }

    [Fact]
    public void UserInfoAndQuery_AreKeptApart_AndPasswordIsMasked()
    {
        Assert.True(CameraUri.TryParse("rtsp://admin:s3cret@cam.local:554/h264?x=1", out var uri, out _));
        Assert.Equal("admin:s3cret", uri!.UserInfo);
        Assert.Equal("cam.local", uri.Host);
        Assert.Equal(554, uri.Port);
        Assert.Equal("/h264", uri.Path);
        Assert.Equal("x=1", uri.Query);
        Assert.Equal("rtsp://admin:***@cam.local:554/h264?x=1", uri.Masked);
        Assert.DoesNotContain("s3cret", uri.Masked);
    }

    [Theory]
    [InlineData("rtsp://bad host/x", "Illegal character in authority at index 7: rtsp://bad host/x")]
    [InlineData("not a url", "Illegal character in path at index 3: not a url")]
    [InlineData("rtsp://h/a b", "Illegal character in path at index 10: rtsp://h/a b")]
    [InlineData("rtsp://h/a%zz", "Malformed escape pair at index 10: rtsp://h/a%zz")]
    [InlineData(":foo", "Expected scheme name at index 0: :foo")]
    [InlineData("rtsp:", "Expected scheme-specific part at index 5: rtsp:")]
    [InlineData("rtsp://h/x?a=<b>", "Illegal character in query at index 13: rtsp://h/x?a=<b>")]
    public void Malformed_IsRejected_WithJavaUriMessage(string uri, string message)
    {
        Assert.False(CameraUri.TryParse(uri, out _, out var error));
        Assert.Equal(message, error);
    }

    [Theory]
    [InlineData("RTSP://cam/x", "RTSP")]
    [InlineData("ftp://cam/x", "ftp")]
    [InlineData("cam/x", null)]
    public void Scheme_IsReadAsWritten_SoTheAllowListCanRejectIt(string uri, string? scheme)
    {
        Assert.True(CameraUri.TryParse(uri, out var parsed, out _));
        Assert.Equal(scheme, parsed!.Scheme);
        Assert.DoesNotContain(parsed.Scheme ?? "", CameraUri.AllowedSchemes);
    }

    [Theory]
    [InlineData("rtsp://[::1]:8554/cam", "[::1]", 8554)]
    [InlineData("rtsp://host:/cam", "host", -1)]
    [InlineData("rtsp://300.1.1.1/cam", null, -1)]
    [InlineData("rtsp://-bad-/cam", null, -1)]
    public void Authority_FollowsRfc2396ServerForm(string uri, string? host, int port)
    {
        Assert.True(CameraUri.TryParse(uri, out var parsed, out var error), error);
        Assert.Equal(host, parsed!.Host);
        Assert.Equal(port, parsed.Port);
    }
}
