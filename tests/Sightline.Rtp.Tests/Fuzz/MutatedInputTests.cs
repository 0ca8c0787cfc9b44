using System.Text;
using Sightline.Rtp.Codecs;
using Sightline.Rtp.Tests.Codecs;
using Sightline.Rtp.Codecs.Aac;
using Sightline.Rtp.Codecs.H264;
using Sightline.Rtp.Codecs.H265;
using Sightline.Rtp.Framing;
using Sightline.Rtp.Packetization;
using Sightline.Rtp.Rtp;
using Sightline.Rtp.Sdp;

namespace Sightline.Rtp.Tests.Fuzz;

/// <summary>
/// Thousands of mutated and truncated inputs into every parser: nothing may throw, nothing may grow without bound.
/// Seeded, so a failure repeats; seeds that once failed are kept as cases here.
/// </summary>
public class MutatedInputTests
{
    public static TheoryData<int> Seeds => [1, 2, 3, 42, 1337];

    private static byte[] Mutate(Random r, byte[] input)
    {
        var data = (byte[])input.Clone();
        switch (r.Next(4))
        {
            case 0: // flip bytes
                for (var i = 0; i < 1 + r.Next(4) && data.Length > 0; i++) data[r.Next(data.Length)] = (byte)r.Next(256);
                return data;
            case 1: // truncate
                return data[..r.Next(data.Length + 1)];
            case 2: // random garbage
                var g = new byte[r.Next(0, 64)];
                r.NextBytes(g);
                return g;
            default: // extend with garbage
                var e = new byte[data.Length + r.Next(1, 32)];
                r.NextBytes(e);
                data.CopyTo(e, 0);
                return e;
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RtpParserAndEveryDepacketizer_SurviveMutations(int seed)
    {
        var r = new Random(seed);
        var fmtps = new Dictionary<string, Dictionary<string, string>>
        {
            ["H264"] = new() { ["sprop-parameter-sets"] = "Z0LAHtoCgPbAWoMDA1KAAAADAIAAABlHixdQ,aM48gA==" },
            ["H265"] = new() { ["sprop-max-don-diff"] = "1" },
            ["VP8"] = new(),
            ["JPEG"] = new(),
            ["MPEG4-GENERIC"] = new() { ["mode"] = "AAC-hbr", ["sizelength"] = "13", ["indexlength"] = "3", ["indexdeltalength"] = "3", ["config"] = "1190" },
            ["MP4A-LATM"] = new() { ["config"] = "40002310" },
            ["PCMU"] = new(),
            ["OPUS"] = new(),
        };
        byte[][] seeds =
        [
            Packets.Rtp(1, 0, false, [0x7c, 0x85, 1, 2, 3]),
            Packets.Rtp(2, 0, true, [0x18, 0, 2, 0x67, 0x42, 0, 2, 0x68, 0xce]),
            Packets.Rtp(3, 0, true, [0x62, 0x01, 0x93, 0, 0, 0xAA]),
            Packets.Rtp(4, 0, true, [0x60, 0x01, 0, 0, 0, 3, 0x02, 0x01, 0xAA]),
            Packets.Rtp(5, 0, true, [0x90, 0x80, 0x81, 0x23, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00]),
            Packets.Rtp(6, 0, true, [0, 0, 0, 0, 65, 255, 8, 6, 0, 0, 0, 5, 0, 0, 0, 64, 1, 2, 3]),
            Packets.Rtp(7, 0, true, [0x00, 0x20, 0x00, 0x18, 0x00, 0x10, 1, 2, 3, 4, 5]),
            Packets.Rtp(8, 0, true, [255, 255, 2, 1, 2]),
        ];
        var depacketizers = fmtps.Select(kv => Depacketizer.Create(new RtpMap(kv.Key, 90000, 1), kv.Value, out _)!).ToList();
        long frameBytes = 0;
        foreach (var d in depacketizers) d.FrameReady += f => frameBytes += f.Data.Length;

        for (var i = 0; i < 20_000; i++)
        {
            var input = Mutate(r, seeds[r.Next(seeds.Length)]);
            if (!RtpPacket.TryParse(input, out var p)) continue;
            Assert.InRange(p.PayloadOffset + p.PayloadLength, 0, input.Length);
            var d = depacketizers[r.Next(depacketizers.Count)];
            if (r.Next(50) == 0) d.Discontinuity();
            d.Push(p, input.AsSpan(p.PayloadOffset, p.PayloadLength));
        }
        // Output is bounded by input: no parser invents megabytes from small packets.
        Assert.InRange(frameBytes, 0, 20_000L * 200);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ContainerFramersAndConfigRecords_SurviveMutations(int seed)
    {
        var r = new Random(seed);
        var sps = Convert.FromBase64String("Z0LAHtoCgPbAWoMDA1KAAAADAIAAABlHixdQ");
        byte[] avcc = [1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, (byte)sps.Length, .. sps, 1, 0, 4, 0x68, 0xce, 0x3c, 0x80];
        byte[] hvcc = [1, .. new byte[20], 0x0f, 1, 0xa1, 0, 1, 0, 4, 0x42, 0x01, 0x01, 0x01];
        byte[][] seeds =
        [
            avcc, hvcc,
            [0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, .. sps, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80, 0, 0, 1, 0x65, 0x88, 0x84],
            [0, 0, 0, 5, 0x65, 0x88, 0x84, 0x00, 0x33, 0, 0, 0, 3, 0x41, 0x9a, 0x02],
            [0, 0, 1, 0x46, 0x01, 0x50, 0, 0, 1, 0x2a, 0x01, 0xaf, 0x00],
            [0xff, 0xf1, 0x4c, 0x40, 0x01, 0x5f, 0xfc, 1, 2, 3, 0xff, 0xf1, 0x4c, 0x40, 0x01, 0x5f, 0xfc, 4, 5, 6],
            [0xfc, 0xaa], [0x1b, 0xff, 0xaa], [0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00, 0xaa],
        ];
        var output = new List<FramedUnit>();
        long frameBytes = 0, inputBytes = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var input = Mutate(r, seeds[r.Next(seeds.Length)]);
            inputBytes += input.Length;
            _ = AvcConfiguration.TryParse(input, out _);
            _ = HevcConfiguration.TryParse(input, out _);
            _ = AdtsHeader.TryParse(input, out _);
            ContainerFramer framer = (i % 6) switch
            {
                0 => new NalFramer(MediaCodec.H264, r.Next(2) == 0 ? avcc : input, new CodecParameters()),
                1 => new NalFramer(MediaCodec.H265, r.Next(2) == 0 ? hvcc : input, new CodecParameters()),
                2 => new AacFramer(r.Next(2) == 0 ? [0x11, 0x88] : input, new CodecParameters { SampleRate = 48000 }),
                3 => new WholeFrameFramer(MediaCodec.Opus, new CodecParameters()),
                4 => new WholeFrameFramer(MediaCodec.VP8, new CodecParameters()),
                _ => new WholeFrameFramer(MediaCodec.PCMU, new CodecParameters { SampleRate = 8000 }),
            };
            output.Clear();
            framer.TryFrame(input, output);
            foreach (var unit in output)
            {
                frameBytes += unit.Data.Length;
                _ = framer.Samples(unit.Data);
            }
        }
        // Parameter sets put in front of keyframes are the only growth: bounded by a few sets per frame.
        Assert.InRange(frameBytes, 0, inputBytes + 20_000L * 100);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SdpParser_SurvivesMutations(int seed)
    {
        var r = new Random(seed);
        var text = Encoding.UTF8.GetBytes("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=x\r\na=control:*\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0LA,aM4=\r\na=control:trackID=1\r\n");
        for (var i = 0; i < 5_000; i++)
        {
            var mutated = Encoding.UTF8.GetString(Mutate(r, text));
            if (SessionDescription.TryParse(mutated, out var sdp, out _))
            {
                foreach (var m in sdp!.Media)
                {
                    foreach (var f in m.Formats)
                    {
                        if (int.TryParse(f, out var pt))
                        {
                            _ = m.RtpMap(pt);
                            _ = m.Fmtp(pt);
                        }
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ReorderWindow_SurvivesRandomSequences_AndReleasesEachPacketAtMostOnce(int seed)
    {
        var r = new Random(seed);
        var seen = new HashSet<int>();
        var duplicates = 0;
        var w = new ReorderWindow(r.Next(0, 200), (p, _) =>
        {
            if (!seen.Add(p[0] << 8 | p[1])) duplicates++;
        }, capacity: 64);
        ushort seq = (ushort)r.Next(65536);
        for (var i = 0; i < 20_000; i++)
        {
            var s = (ushort)(seq + r.Next(-20, 40));
            if (r.Next(10) == 0) seq += 1;
            seq++;
            if (i % 5000 == 0) seen.Clear(); // sequence space is reused over 65536 packets
            w.Push([(byte)(s >> 8), (byte)s], s, i);
        }
        Assert.True(w.Held <= 64);
        Assert.True(duplicates < 200, $"{duplicates} packets released twice"); // only across resyncs
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ReorderDetector_SurvivesMutatedParameterSetsAndSliceHeaders(int seed)
    {
        var r = new Random(seed);
        byte[][] nals =
        [
            SpsReorderFieldTests.Sps(100, vui: new SpsReorderFieldTests.Vui(Timing: (1, 50), NalHrdCpbs: 2, VclHrdCpbs: 1, Restriction: (2, 4))),
            SpsReorderFieldTests.Sps(77, frameMbsOnly: false),
            SpsReorderFieldTests.Sps(77, pocType: 1),
            new BitWriter().Ue(0).Ue(1).Ue(0).Bits(3, 4).Bits(9, 6).ToNal(0x01),
            new BitWriter().Ue(0).Ue(7).Ue(0).Bits(0, 4).Ue(0).Bits(0, 6).ToNal(0x65),
            Convert.FromHexString("42010101600000030090000003000003003ca00a080f165959a4932bc05a020000030002000003003210"),
        ];
        var h264 = ReorderDetector.ForH264();
        var h265 = ReorderDetector.ForH265();
        for (var i = 0; i < 20_000; i++)
        {
            var nal = Mutate(r, nals[r.Next(nals.Length)]);
            var au = BitWriter.AccessUnit(nal);
            h264.Feed(au);
            h265.Feed(au);
            if (r.Next(20) == 0) h264.Feed(Mutate(r, au)); // broken length prefixes too
        }
        Assert.InRange(h264.Current.Depth, 0, 16);
        Assert.InRange(h265.Current.Depth, 0, 16);
    }
}
