using Sightline.Rtp.Codecs;
using Sightline.Rtp.Packetization;
using Sightline.TestKit;

namespace Sightline.Rtp.Tests.Codecs;

/// <summary>
/// Frame reordering of streams made at test time by Debian's ffmpeg (libx264, libx265), packetized and fed through the
/// depacketizers as a camera's would be; and the same streams with their VUI removed, so the slices must tell.
/// </summary>
public sealed class RealStreamReorderTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sightline-reorder-");

    public void Dispose() => _dir.Delete(recursive: true);

    private const string X264 = "-c:v libx264 -preset veryfast -g 25";

    private static CodecParameters ThroughDepacketizer(Depacketizer d, IEnumerable<FileFrame> frames)
    {
        ushort seq = 0;
        uint ts = 0;
        var emitted = 0;
        d.FrameReady += _ => emitted++;
        var count = 0;
        foreach (var frame in frames)
        {
            var p = H264Packetizer.Packetize(frame.Data, ts, frame.Keyframe);
            for (var i = 0; i < p.Payloads.Length; i++)
            {
                var packet = Packets.Rtp(seq++, ts, i == p.Payloads.Length - 1, p.Payload(i).ToArray());
                var h = Packets.Header(packet);
                d.Push(h, packet.AsSpan(h.PayloadOffset, h.PayloadLength));
            }
            ts += 3600;
            count++;
        }
        Assert.Equal(count, emitted);
        return d.Parameters;
    }

    [Theory]
    [InlineData("baseline", "-profile:v baseline", false, 0)]
    [InlineData("main-bf0", "-profile:v main -bf 0", false, 0)]
    [InlineData("main-bf3", "-profile:v main -bf 3", true, 2)]
    [InlineData("high-bf2-pyramid-normal", "-profile:v high -bf 2 -x264-params b-pyramid=normal:b-adapt=0", true, 2)]
    [InlineData("high-bf2-pyramid-none", "-profile:v high -bf 2 -x264-params b-pyramid=none:b-adapt=0", true, 1)]
    [InlineData("high-bf3-pyramid-strict", "-profile:v high -bf 3 -x264-params b-pyramid=strict:b-adapt=0", true, 2)]
    public async Task Libx264_streams_say_whether_they_reorder_in_their_SPS_VUI(string name, string args, bool reorders, int depth)
    {
        var frames = await MediaFiles.EncodeAccessUnitsAsync(_dir.FullName, name, $"{X264} {args}");
        var p = ThroughDepacketizer(new H264Depacketizer(new Dictionary<string, string>()), frames);
        Assert.Equal(new FrameReordering(reorders, depth, $"SPS VUI max_num_reorder_frames={depth}", true), p.Reordering);
        Assert.Equal(depth, p.ReorderDepth);
    }

    [Theory]
    [InlineData("strip-main-bf3", "-profile:v main -bf 3 -x264-params b-adapt=0", true, 2, "B slices, picture order count goes backwards")]
    [InlineData("strip-high-bf2-pyramid-none", "-profile:v high -bf 2 -x264-params b-pyramid=none:b-adapt=0", true, 1, "B slices, picture order count goes backwards")]
    // x264 without B-frames uses pic_order_cnt_type 2: that alone says the order is kept.
    [InlineData("strip-main-bf0", "-profile:v main -bf 0", false, 0, "SPS pic_order_cnt_type=2 (output order is decode order)")]
    public async Task Without_VUI_the_slices_tell_and_measure_the_same_depth_the_VUI_claimed(string name, string args, bool reorders, int depth, string reason)
    {
        var frames = await MediaFiles.EncodeAccessUnitsAsync(_dir.FullName, name, $"{X264} {args}");
        var stripped = frames.Select(f => f with { Data = WithoutVui(f.Data) }).ToList();
        Assert.Contains(stripped, f => f.Data.Length < frames[0].Data.Length && f.Keyframe); // the SPS did shrink

        var p = ThroughDepacketizer(new H264Depacketizer(new Dictionary<string, string>()), stripped);
        Assert.Equal(new FrameReordering(reorders, depth, reason, true), p.Reordering);
        var original = ReorderDetector.ForH264();
        foreach (var f in frames) original.Feed(f.Data);
        Assert.Equal(original.Current.Depth, p.ReorderDepth); // what the VUI claims is what the slices show
    }

    [Fact]
    public async Task The_sprop_parameter_sets_of_the_SDP_are_enough_before_any_frame()
    {
        var frames = await MediaFiles.EncodeAccessUnitsAsync(_dir.FullName, "sprop", $"{X264} -profile:v main -bf 3", seconds: 0.2);
        var sets = NalUnits.ParameterSets(frames[0].Data, h265: false);
        var d = new H264Depacketizer(new Dictionary<string, string> { ["sprop-parameter-sets"] = string.Join(',', sets.Select(Convert.ToBase64String)) });
        Assert.Equal((true, 2), (d.Parameters.Reordering!.Value.Reorders, d.Parameters.ReorderDepth));
        Assert.Null(new H264Depacketizer(new Dictionary<string, string>()).Parameters.Reordering);
    }

    [Theory]
    [InlineData("x265-default", "", true, 2)]
    [InlineData("x265-bframes0", ":bframes=0", false, 0)]
    [InlineData("x265-bframes3-nopyramid", ":bframes=3:b-pyramid=0", true, 1)]
    public async Task Libx265_streams_say_it_in_sps_max_num_reorder_pics(string name, string x265Params, bool reorders, int depth)
    {
        var frames = await MediaFiles.EncodeAccessUnitsAsync(_dir.FullName, name, $"-c:v libx265 -preset veryfast -x265-params log-level=error{x265Params}", h265: true);
        var d = ReorderDetector.ForH265();
        foreach (var f in frames) d.Feed(f.Data);
        Assert.Equal(new FrameReordering(reorders, depth, $"SPS sps_max_num_reorder_pics={depth}", true), d.Current);
    }

    /// <summary>
    /// The access unit with every SPS rewritten with <c>vui_parameters_present_flag</c> 0: the fields before the VUI are
    /// copied bit for bit (§7.3.2.1.1; x264's 4:2:0 SPS has no scaling matrix), then the trailing bits.
    /// </summary>
    private static byte[] WithoutVui(byte[] accessUnit)
    {
        var nals = new List<byte[]>();
        ReadOnlySpan<byte> rest = accessUnit;
        while (NalUnits.TryNext(ref rest, out var nal)) nals.Add((nal[0] & 0x1f) == 7 ? StripVui(nal) : nal.ToArray());
        return BitWriter.AccessUnit([.. nals]);
    }

    private static byte[] StripVui(ReadOnlySpan<byte> sps)
    {
        var rbsp = NalUnits.ToRbsp(sps[1..]);
        var r = new BitReader(rbsp);
        var w = new BitWriter();
        var profile = w.CopyBits(ref r, 8);
        w.CopyBits(ref r, 16); // constraint flags, level_idc
        w.CopyUe(ref r);
        if (profile is 100 or 110 or 122 or 244)
        {
            Assert.Equal(1u, w.CopyUe(ref r)); // chroma_format_idc 4:2:0
            w.CopyUe(ref r);
            w.CopyUe(ref r);
            w.CopyBits(ref r, 1);
            Assert.Equal(0u, w.CopyBits(ref r, 1)); // no scaling matrix
        }
        w.CopyUe(ref r); // log2_max_frame_num_minus4
        var pocType = w.CopyUe(ref r);
        Assert.NotEqual(1u, pocType);
        if (pocType == 0) w.CopyUe(ref r);
        w.CopyUe(ref r); // max_num_ref_frames
        w.CopyBits(ref r, 1);
        w.CopyUe(ref r);
        w.CopyUe(ref r);
        if (w.CopyBits(ref r, 1) == 0) w.CopyBits(ref r, 1); // frame_mbs_only_flag, mb_adaptive_frame_field_flag
        w.CopyBits(ref r, 1); // direct_8x8_inference_flag
        if (w.CopyBits(ref r, 1) == 1)
        {
            for (var i = 0; i < 4; i++) w.CopyUe(ref r);
        }
        Assert.Equal(1u, r.ReadBit()); // the VUI this test removes
        Assert.False(r.Overrun);
        w.Bit(0);
        return w.ToNal(sps[0]);
    }
}
