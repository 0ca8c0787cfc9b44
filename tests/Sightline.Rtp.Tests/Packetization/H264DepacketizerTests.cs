using Sightline.Rtp.Codecs;
using Sightline.Rtp.Packetization;

namespace Sightline.Rtp.Tests.Packetization;

public class H264DepacketizerTests
{
    // Real parameter sets of a GStreamer x264 camera (640x480 Constrained Baseline), from its SDP.
    private const string Sprop = "Z0LAHtoCgPbAWoMDA1KAAAADAIAAABlHixdQ,aM48gA==";
    private static readonly byte[] Sps = Convert.FromBase64String("Z0LAHtoCgPbAWoMDA1KAAAADAIAAABlHixdQ");
    private static readonly byte[] Pps = Convert.FromBase64String("aM48gA==");

    private readonly List<EncodedFrame> _frames = [];

    private H264Depacketizer Create(string? sprop = Sprop)
    {
        var fmtp = new Dictionary<string, string>();
        if (sprop is not null) fmtp["sprop-parameter-sets"] = sprop;
        var d = new H264Depacketizer(fmtp);
        d.FrameReady += _frames.Add;
        return d;
    }

    private static void Push(Depacketizer d, ushort seq, uint ts, bool marker, byte[] payload)
    {
        var packet = Packets.Rtp(seq, ts, marker, payload);
        var h = Packets.Header(packet);
        d.Push(h, packet.AsSpan(h.PayloadOffset, h.PayloadLength));
    }

    private static List<byte[]> Nals(EncodedFrame f)
    {
        var list = new List<byte[]>();
        ReadOnlySpan<byte> rest = f.Data;
        while (NalUnits.TryNext(ref rest, out var nal)) list.Add(nal.ToArray());
        Assert.True(rest.IsEmpty);
        return list;
    }

    [Fact]
    public void SpropParameterSets_GiveSizeAndProfile()
    {
        var d = Create();
        Assert.Equal(640, d.Parameters.Width);
        Assert.Equal(480, d.Parameters.Height);
        Assert.Equal("Constrained Baseline", d.Parameters.Profile);
        Assert.Equal("42c01e", d.Parameters.ProfileLevelId);
    }

    [Fact]
    public void HighProfileSps_Parses_1280x720()
    {
        var d = Create("Z2QAH6y0AoAt2AtQEBAUAAADAAQAAAMAyjxgyoA=,aO88sA==");
        Assert.Equal((1280, 720, "High", "64001f"), (d.Parameters.Width, d.Parameters.Height, d.Parameters.Profile, d.Parameters.ProfileLevelId));
    }

    [Fact]
    public void SingleNalUnits_UpToMarker_AreOneAccessUnit_Rfc6184_5_6()
    {
        var d = Create(null);
        Push(d, 1, 3000, false, [0x41, 0x9a, 0x01]);
        Push(d, 2, 3000, true, [0x41, 0x9a, 0x02]);
        var f = Assert.Single(_frames);
        Assert.False(f.IsKeyframe);
        Assert.Equal(3000u, f.RtpTimestamp);
        Assert.Equal(2, Nals(f).Count);
    }

    [Fact]
    public void StapA_IsSplitIntoItsNalUnits_Rfc6184_5_7_1()
    {
        var d = Create(null);
        // STAP-A header 0x18, then (size, NAL) pairs: SPS, PPS, IDR.
        var payload = new List<byte> { 0x18 };
        foreach (var nal in new[] { Sps, Pps, new byte[] { 0x65, 0x88, 0x84 } })
        {
            payload.Add((byte)(nal.Length >> 8));
            payload.Add((byte)nal.Length);
            payload.AddRange(nal);
        }
        Push(d, 1, 0, true, [.. payload]);
        var f = Assert.Single(_frames);
        Assert.True(f.IsKeyframe);
        Assert.Equal(new[] { 7, 8, 5 }, Nals(f).Select(n => n[0] & 0x1f));
        Assert.Equal(640, d.Parameters.Width);
    }

    [Fact]
    public void FuA_Fragments_AreReassembled_IntoOneNal_Rfc6184_5_8()
    {
        var d = Create();
        // IDR (type 5, NRI 3) split in three: FU indicator 0x7c (NRI 3, type 28), FU headers S=0x85, middle 0x05, E=0x45.
        Push(d, 10, 9000, false, [0x7c, 0x85, 1, 2, 3]);
        Push(d, 11, 9000, false, [0x7c, 0x05, 4, 5]);
        Push(d, 12, 9000, true, [0x7c, 0x45, 6]);
        var f = Assert.Single(_frames);
        Assert.True(f.IsKeyframe);
        var nals = Nals(f);
        // SPS and PPS put in front of the IDR that lacked them.
        Assert.Equal(new[] { 7, 8, 5 }, nals.Select(n => n[0] & 0x1f));
        Assert.Equal(new byte[] { 0x65, 1, 2, 3, 4, 5, 6 }, nals[2]);
        Assert.Equal(Sps, nals[0]);
        Assert.Equal(Pps, nals[1]);
    }

    [Fact]
    public void FuA_WithoutStart_IsDropped_AndCounted()
    {
        var d = Create(null);
        Push(d, 11, 9000, false, [0x7c, 0x05, 4, 5]);
        Push(d, 12, 9000, true, [0x7c, 0x45, 6]);
        Assert.Empty(_frames);
        Assert.Equal(2, d.Dropped(DropReason.FragmentWithoutStart));
    }

    [Fact]
    public void TimestampChange_WithoutMarker_ClosesThePreviousAccessUnit()
    {
        var d = Create(null);
        Push(d, 1, 1000, false, [0x41, 1]);
        Push(d, 2, 4600, false, [0x41, 2]);
        Assert.Single(_frames);
        Assert.Equal(1000u, _frames[0].RtpTimestamp);
    }

    [Fact]
    public void TimestampWrapAround_IsJustAnotherFrame()
    {
        var d = Create(null);
        Push(d, 1, uint.MaxValue - 1000, true, [0x41, 1]);
        Push(d, 2, 2599, true, [0x41, 2]);
        Assert.Equal([uint.MaxValue - 1000, 2599u], _frames.Select(f => f.RtpTimestamp));
    }

    [Fact]
    public void Discontinuity_DropsTheFrameBeingBuilt()
    {
        var d = Create(null);
        Push(d, 1, 1000, false, [0x7c, 0x85, 1]);
        d.Discontinuity();
        Push(d, 3, 1000, true, [0x7c, 0x45, 6]);
        Assert.Empty(_frames);
    }

    [Fact]
    public void GiantFuA_IsCutOff_MemoryStaysBounded()
    {
        var d = Create(null);
        var chunk = new byte[1400];
        chunk[0] = 0x7c;
        chunk[1] = 0x05;
        Push(d, 0, 1, false, [0x7c, 0x85, 0]);
        for (ushort i = 1; i < 7000; i++) Push(d, i, 1, false, chunk); // ~9.8 MB, over the 8 MB bound
        Push(d, 7000, 1, true, [0x7c, 0x45, 0]);
        Assert.Empty(_frames);
        Assert.True(d.Dropped(DropReason.FrameTooLarge) >= 1);
    }

    [Fact]
    public void InterleavedModePackets_AreUnsupported_NotCrashes()
    {
        var d = Create(null);
        Push(d, 1, 1, true, [0x19, 0, 0, 0, 1, 0x41]); // STAP-B
        Push(d, 2, 1, true, [0x80]); // forbidden bit
        Assert.Empty(_frames);
        Assert.Equal(1, d.Dropped(DropReason.UnsupportedPacketization));
        Assert.Equal(1, d.Dropped(DropReason.MalformedPayload));
    }
}
