using Sightline.Rtp.Codecs;
using Sightline.Rtp.Packetization;
using Sightline.Rtp.Sdp;

namespace Sightline.Rtp.Tests.Packetization;

public class OtherDepacketizerTests
{
    private readonly List<EncodedFrame> _frames = [];

    private T Track<T>(T d) where T : Depacketizer
    {
        d.FrameReady += _frames.Add;
        return d;
    }

    private static void Push(Depacketizer d, ushort seq, uint ts, bool marker, byte[] payload)
    {
        var packet = Packets.Rtp(seq, ts, marker, payload);
        var h = Packets.Header(packet);
        d.Push(h, packet.AsSpan(h.PayloadOffset, h.PayloadLength));
    }

    // Parameter sets of a GStreamer x265 camera (1280x720 Main), from its SDP.
    private static Dictionary<string, string> H265Fmtp() => new()
    {
        ["sprop-vps"] = "QAEMAf//AWAAAAMAkAAAAwAAAwBdugJA",
        ["sprop-sps"] = "QgEBAWAAAAMAkAAAAwAAAwBdoAKAgC0WW6Skwv/wABAAFqAgICCAAAADAIAAAAyE",
        ["sprop-pps"] = "RAHAcYMS",
    };

    [Fact]
    public void H265_SpropSps_GivesSizeAndProfile()
    {
        var d = new H265Depacketizer(H265Fmtp());
        Assert.Equal((1280, 720, "Main"), (d.Parameters.Width, d.Parameters.Height, d.Parameters.Profile));
    }

    [Fact]
    public void H265_FragmentationUnit_IsReassembled_AndParameterSetsPrepended_Rfc7798_4_4_3()
    {
        var d = Track(new H265Depacketizer(H265Fmtp()));
        // FU payload header type 49 (0x62 0x01); FU header S + type 19 (IDR_W_RADL), then E + 19.
        Push(d, 1, 100, false, [0x62, 0x01, 0x80 | 19, 0xAA, 0xBB]);
        Push(d, 2, 100, true, [0x62, 0x01, 0x40 | 19, 0xCC]);
        var f = Assert.Single(_frames);
        Assert.True(f.IsKeyframe);
        var nals = new List<byte[]>();
        ReadOnlySpan<byte> rest = f.Data;
        while (NalUnits.TryNext(ref rest, out var n)) nals.Add(n.ToArray());
        Assert.Equal(new[] { 32, 33, 34, 19 }, nals.Select(n => n[0] >> 1 & 0x3f));
        Assert.Equal(new byte[] { 19 << 1, 0x01, 0xAA, 0xBB, 0xCC }, nals[3]);
    }

    [Fact]
    public void H265_AggregationPacket_IsSplit_Rfc7798_4_4_2()
    {
        var d = Track(new H265Depacketizer(new Dictionary<string, string>()));
        // AP header type 48 (0x60 0x01), two NALs of type 1 (TRAIL_R): 0x02 0x01 ...
        Push(d, 1, 100, true, [0x60, 0x01, 0, 3, 0x02, 0x01, 0xAA, 0, 3, 0x02, 0x01, 0xBB]);
        var f = Assert.Single(_frames);
        Assert.False(f.IsKeyframe);
        Assert.Equal(2 * (4 + 3), f.Data.Length);
    }

    [Fact]
    public void Vp8_Descriptor_IsStripped_AndKeyframeSizeRead_Rfc7741_4_2()
    {
        var d = Track(new Vp8Depacketizer());
        // X=1 S=1 PID=0 | I=1 | M=1 15-bit picture id; then a VP8 key frame header: tag (P=0), start code, 320x240.
        byte[] first = [0x90, 0x80, 0x81, 0x23, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00];
        Push(d, 1, 0, false, first);
        Push(d, 2, 0, true, [0x80, 0x80, 0x81, 0x23, 0xEE]); // continuation: S=0
        var f = Assert.Single(_frames);
        Assert.True(f.IsKeyframe);
        Assert.Equal((320, 240), (d.Parameters.Width, d.Parameters.Height));
        Assert.Equal(new byte[] { 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00, 0xEE }, f.Data);
    }

    [Fact]
    public void Vp8_InterFrame_IsNotAKeyframe()
    {
        var d = Track(new Vp8Depacketizer());
        Push(d, 1, 0, true, [0x10, 0x01, 0x02, 0x03]);
        Assert.False(Assert.Single(_frames).IsKeyframe);
    }

    [Fact]
    public void Mjpeg_WithStandardQ_RebuildsAFullJpeg_Rfc2435()
    {
        var d = Track(new MjpegDepacketizer());
        // Type 1 (4:2:0), Q 50, 64x48; scan data split in two fragments at offsets 0 and 3.
        Push(d, 1, 0, false, [0, 0, 0, 0, 1, 50, 8, 6, 0x11, 0x22, 0x33]);
        Push(d, 2, 0, true, [0, 0, 0, 3, 1, 50, 8, 6, 0x44]);
        var f = Assert.Single(_frames);
        var jpeg = f.Data;
        Assert.Equal(new byte[] { 0xff, 0xd8 }, jpeg[..2]);
        Assert.Equal(new byte[] { 0xff, 0xd9 }, jpeg[^2..]);
        Assert.Equal(new byte[] { 0x11, 0x22, 0x33, 0x44 }, jpeg[^6..^2]);
        // SOF0 carries the size: 48 high, 64 wide.
        var sof = jpeg.AsSpan().IndexOf(new byte[] { 0xff, 0xc0 });
        Assert.Equal(new byte[] { 0, 48, 0, 64 }, jpeg[(sof + 5)..(sof + 9)]);
        Assert.Equal((64, 48), (d.Parameters.Width, d.Parameters.Height));
        // Q=50 is the JPEG standard table itself: first luma entry 16.
        Assert.Equal(16, MjpegDepacketizer.MakeTables(50)[0]);
    }

    [Fact]
    public void Mjpeg_FragmentAtWrongOffset_DropsTheFrame()
    {
        var d = Track(new MjpegDepacketizer());
        Push(d, 1, 0, false, [0, 0, 0, 0, 1, 50, 8, 6, 0x11, 0x22, 0x33]);
        Push(d, 3, 0, true, [0, 0, 0, 9, 1, 50, 8, 6, 0x44]);
        Assert.Empty(_frames);
        Assert.Equal(1, d.Dropped(DropReason.FragmentWithoutStart));
    }

    [Fact]
    public void Aac_AuHeaders_SplitThePacketIntoFrames_Rfc3640_3_3_6()
    {
        var fmtp = new Dictionary<string, string> { ["mode"] = "AAC-hbr", ["sizelength"] = "13", ["indexlength"] = "3", ["indexdeltalength"] = "3", ["config"] = "1190" };
        var d = Track(new AacDepacketizer(new RtpMap("MPEG4-GENERIC", 48000, 2), fmtp));
        Assert.Equal((48000, 2), (d.Parameters.SampleRate, d.Parameters.Channels));
        // AU-headers-length 32 bits; AU 1 size 3, AU 2 size 2 (13-bit size << 3 | index).
        Push(d, 1, 1000, true, [0x00, 0x20, 0x00, 0x18, 0x00, 0x10, 1, 2, 3, 4, 5]);
        Assert.Equal(2, _frames.Count);
        Assert.Equal(new byte[] { 1, 2, 3 }, _frames[0].Data);
        Assert.Equal(new byte[] { 4, 5 }, _frames[1].Data);
        Assert.Equal(1000u + 1024, _frames[1].RtpTimestamp);
    }

    [Fact]
    public void Aac_FragmentedAu_IsJoined_Rfc3640_3_2_3_2()
    {
        var fmtp = new Dictionary<string, string> { ["mode"] = "AAC-hbr", ["sizelength"] = "13", ["indexlength"] = "3", ["indexdeltalength"] = "3" };
        var d = Track(new AacDepacketizer(new RtpMap("MPEG4-GENERIC", 44100, 1), fmtp));
        // One AU of 5 bytes in two packets: both carry the same AU header (size 5).
        Push(d, 1, 7, false, [0x00, 0x10, 0x00, 0x28, 1, 2, 3]);
        Push(d, 2, 7, true, [0x00, 0x10, 0x00, 0x28, 4, 5]);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, Assert.Single(_frames).Data);
    }

    [Fact]
    public void Latm_PayloadLengthInfo_DelimitsTheFrame_Rfc6416()
    {
        // StreamMuxConfig of GStreamer's rtpmp4apay for 48 kHz mono AAC-LC.
        var d = LatmDepacketizer.Create(new RtpMap("MP4A-LATM", 48000, 1), new Dictionary<string, string> { ["cpresent"] = "0", ["config"] = "40002310" })!;
        Track(d);
        Assert.Equal((48000, 1), (d.Parameters.SampleRate, d.Parameters.Channels));
        var frame = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        Push(d, 1, 0, false, [255, 45, .. frame[..100]]);
        Push(d, 2, 0, true, frame[100..]);
        Assert.Equal(frame, Assert.Single(_frames).Data);
    }

    [Fact]
    public void Latm_InBandConfig_IsNotSupported()
    {
        Assert.Null(LatmDepacketizer.Create(new RtpMap("MP4A-LATM", 48000, 1), new Dictionary<string, string> { ["cpresent"] = "1" }));
    }

    [Theory]
    [InlineData("PCMU", 8000, MediaCodec.PCMU)]
    [InlineData("PCMA", 8000, MediaCodec.PCMA)]
    [InlineData("opus", 48000, MediaCodec.Opus)]
    public void SimpleAudio_IsOneFramePerPacket(string name, int rate, MediaCodec codec)
    {
        var d = Depacketizer.Create(new RtpMap(name, rate, 1), new Dictionary<string, string>(), out _)!;
        Track(d);
        Assert.Equal(codec, d.Codec);
        Push(d, 1, 160, false, [1, 2, 3]);
        Assert.Equal(new byte[] { 1, 2, 3 }, Assert.Single(_frames).Data);
    }

    [Fact]
    public void UnknownCodec_HasNoDepacketizer()
    {
        Assert.Null(Depacketizer.Create(new RtpMap("THEORA", 90000, 1), new Dictionary<string, string>(), out var name));
        Assert.Equal("THEORA", name);
        Assert.Null(Depacketizer.Create(new RtpMap("MPEG4-GENERIC", 90000, 1), new Dictionary<string, string> { ["mode"] = "generic" }, out _));
    }
}
