using System.Text.RegularExpressions;
using Sightline.Sessions.Ids;

namespace Sightline.Sessions.Tests.Ids;

public class IdGeneratorTests
{
    [Fact]
    public void Ids_HaveOpenViduShapes()
    {
        var ids = new IdGenerator();
        for (var i = 0; i < 200; i++)
        {
            Assert.Matches("^ses_[A-Z][0-9A-Za-z]{9}$", ids.NewSessionId());
            Assert.Matches("^con_[A-Z][0-9A-Za-z]{9}$", ids.NewConnectionId());
            Assert.Matches("^tok_[A-Z][0-9A-Za-z]{15}$", ids.NewTokenValue());
            Assert.Matches("^[0-9A-Z]{4}$", ids.NewCameraTag());
            Assert.Matches("^[A-Z][0-9A-Za-z]{3}$", ids.NewStreamTag());
        }
    }

    [Fact]
    public void SeededGenerator_IsRepeatable()
    {
        var a = new IdGenerator(new Random(7));
        var b = new IdGenerator(new Random(7));
        Assert.Equal(a.NewSessionId(), b.NewSessionId());
        Assert.Equal(a.NewTokenValue(), b.NewTokenValue());
    }

    [Fact]
    public void StreamId_OfCamera_EmbedsConnectionId_AndIsRecognised()
    {
        var id = StreamIds.Create("IPCAM", "Tr4c", "ipc_IPCAM_rtsp_K3ZQ_10_0_0_7_554_live_ch1");
        Assert.Equal("str_IPC_Tr4c_ipc_IPCAM_rtsp_K3ZQ_10_0_0_7_554_live_ch1", id);
        Assert.True(StreamIds.IsIpCameraStream(id));
        Assert.False(StreamIds.IsIpCameraStream(StreamIds.Create("CAMERA", "Pq2s", "con_Xnxg19tonh")));
        Assert.Equal("str_CAM_Pq2s_con_Xnxg19tonh", StreamIds.Create("CAMERA", "Pq2s", "con_Xnxg19tonh"));
        Assert.Matches(new Regex("^str_MIC_"), StreamIds.Create("MICROPHONE", "Abcd", "con_x"));
    }
}
