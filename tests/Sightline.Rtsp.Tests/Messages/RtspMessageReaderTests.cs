using System.Text;
using Sightline.Rtsp.Messages;

namespace Sightline.Rtsp.Tests.Messages;

public class RtspMessageReaderTests
{
    private const string Describe =
        "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Base: rtsp://cam/live/\r\nContent-Type: application/sdp\r\nContent-Length: 10\r\n\r\nv=0\r\ns=x\r\n";

    private static RtspReadResult Read(byte[] data, out int consumed, out Sightline.Rtsp.Messages.RtspResponse? response, out int channel, out byte[] frame)
    {
        var result = RtspMessageReader.TryRead(data, out consumed, out response, out channel, out var f, out _);
        frame = f.ToArray();
        return result;
    }

    [Fact]
    public void ReadsAResponse_WithHeadersAndBody()
    {
        var data = Encoding.ASCII.GetBytes(Describe);
        Assert.Equal(RtspReadResult.Response, Read(data, out var consumed, out var r, out _, out _));
        Assert.Equal(data.Length, consumed);
        Assert.Equal(200, r!.StatusCode);
        Assert.Equal("OK", r.Reason);
        Assert.Equal(2, r.CSeq);
        Assert.Equal("rtsp://cam/live/", r.Header("content-base"));
        Assert.Equal("v=0\r\ns=x\r\n", Encoding.ASCII.GetString(r.Body));
    }

    [Fact]
    public void EveryPrefix_NeedsMoreData()
    {
        var data = Encoding.ASCII.GetBytes(Describe);
        for (var n = 0; n < data.Length; n++)
        {
            Assert.Equal(RtspReadResult.NeedMoreData, Read(data[..n], out _, out _, out _, out _));
        }
    }

    [Fact]
    public void InterleavedFrame_IsReturnedWithItsChannel_Rfc2326_10_12()
    {
        byte[] data = [(byte)'$', 1, 0, 3, 0xAA, 0xBB, 0xCC, (byte)'$'];
        Assert.Equal(RtspReadResult.Interleaved, Read(data, out var consumed, out _, out var channel, out var frame));
        Assert.Equal((7, 1), (consumed, channel));
        Assert.Equal(new byte[] { 0xAA, 0xBB, 0xCC }, frame);
        Assert.Equal(RtspReadResult.NeedMoreData, Read(data[7..], out _, out _, out _, out _));
    }

    [Fact]
    public void HugeContentLength_IsInvalid_NotAllocated()
    {
        var data = Encoding.ASCII.GetBytes("RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 2000000000\r\n\r\n");
        Assert.Equal(RtspReadResult.Invalid, Read(data, out var consumed, out _, out _, out _));
        Assert.True(consumed > 0);
    }

    [Fact]
    public void EndlessHeaders_AreInvalid_PastTheBound()
    {
        var data = Encoding.ASCII.GetBytes("RTSP/1.0 200 OK\r\n" + string.Concat(Enumerable.Repeat("X-Junk: 0123456789\r\n", 4000)));
        Assert.Equal(RtspReadResult.Invalid, Read(data, out var consumed, out _, out _, out _));
        Assert.Equal(data.Length, consumed);
    }

    [Fact]
    public void TooManyHeaders_AreInvalid()
    {
        var data = Encoding.ASCII.GetBytes("RTSP/1.0 200 OK\r\n" + string.Concat(Enumerable.Repeat("A: b\r\n", 300)) + "\r\n");
        Assert.Equal(RtspReadResult.Invalid, Read(data, out _, out _, out _, out _));
    }

    [Fact]
    public void StrayBytes_AreSkipped_UpToTheNextMessage()
    {
        var data = Encoding.ASCII.GetBytes("\0\0xyz" + Describe);
        Assert.Equal(RtspReadResult.Invalid, Read(data, out var consumed, out _, out _, out _));
        Assert.Equal(RtspReadResult.Response, Read(data[consumed..], out _, out var r, out _, out _));
        Assert.Equal(200, r!.StatusCode);
    }

    [Fact]
    public void LfOnlyLineEnds_AndFoldedHeaders_AreAccepted()
    {
        var data = Encoding.ASCII.GetBytes("RTSP/1.0 401 Unauthorized\nCSeq: 3\nWWW-Authenticate: Digest realm=\"cam\",\n nonce=\"abc\"\n\n");
        Assert.Equal(RtspReadResult.Response, Read(data, out _, out var r, out _, out _));
        Assert.Equal("Digest realm=\"cam\", nonce=\"abc\"", r!.Header("WWW-Authenticate"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(99)]
    public void MutatedResponses_NeverThrow_AndAlwaysMakeProgress(int seed)
    {
        var r = new Random(seed);
        var template = Encoding.ASCII.GetBytes(Describe + "$\u0001\0\u0002ab" + Describe);
        for (var i = 0; i < 5000; i++)
        {
            var data = (byte[])template.Clone();
            for (var k = 0; k < 3; k++) data[r.Next(data.Length)] = (byte)r.Next(256);
            data = data[..r.Next(data.Length + 1)];
            var offset = 0;
            var guard = 0;
            while (offset < data.Length && guard++ < 10_000)
            {
                var result = RtspMessageReader.TryRead(data.AsSpan(offset), out var consumed, out _, out _, out _, out _);
                if (result == RtspReadResult.NeedMoreData) break;
                Assert.True(consumed > 0);
                offset += consumed;
            }
        }
    }
}
