using Sightline.Rtp.Codecs;
using Sightline.Rtp.Codecs.Aac;
using Sightline.Rtp.Codecs.H264;
using Sightline.Rtp.Codecs.H265;
using Sightline.Rtp.Framing;
using Sightline.Rtp.Packetization;

namespace Sightline.Rtp.Tests.Framing;

/// <summary>Container packets (MP4/MKV samples, MPEG-TS payloads) into frames shaped as the RTP depacketizers make them.</summary>
public class ContainerFramerTests
{
    // A Constrained Baseline 3.0 SPS and its PPS (the same as the depacketizer tests use).
    private static readonly byte[] Sps = Convert.FromBase64String("Z0LAHtoCgPbAWoMDA1KAAAADAIAAABlHixdQ");
    private static readonly byte[] Pps = Convert.FromBase64String("aM48gA==");
    private static readonly byte[] Idr = [0x65, 0x88, 0x84, 0x00, 0x33];
    private static readonly byte[] Slice = [0x41, 0x9a, 0x02, 0x04];
    private static readonly byte[] Aud = [0x09, 0xf0];
    private static readonly byte[] Sei = [0x06, 0x05, 0x01, 0xaa, 0x80];

    // H.265: a VPS, SPS, PPS (headers only matter here), a CRA slice (21) and a trailing slice (1).
    private static readonly byte[] Vps = [0x40, 0x01, 0x0c, 0x01];
    private static readonly byte[] HevcSps = [0x42, 0x01, 0x01, 0x01];
    private static readonly byte[] HevcPps = [0x44, 0x01, 0xc1, 0x72];
    private static readonly byte[] Cra = [0x2a, 0x01, 0xaf, 0x10]; // a NAL unit never ends in 00 (H.265 §7.4.2)
    private static readonly byte[] Trail = [0x02, 0x01, 0xd0, 0x10];

    private static byte[] Prefixed(int lengthSize, params byte[][] nals)
    {
        var result = new List<byte>();
        foreach (var nal in nals)
        {
            for (var k = lengthSize - 1; k >= 0; k--) result.Add((byte)(nal.Length >> (8 * k)));
            result.AddRange(nal);
        }
        return [.. result];
    }

    private static byte[] AnnexB(params byte[][] nals) => [.. nals.SelectMany((n, i) => (i % 2 == 0 ? new byte[] { 0, 0, 0, 1 } : [0, 0, 1]).Concat(n))];

    // ISO/IEC 14496-15 §5.3.3.1: version 1, profile/compatibility/level from the SPS, lengthSizeMinusOne, one SPS, one PPS.
    private static byte[] AvcC(int lengthSize) =>
        [1, Sps[1], Sps[2], Sps[3], (byte)(0xfc | (lengthSize - 1)), 0xe1, 0, (byte)Sps.Length, .. Sps, 1, 0, (byte)Pps.Length, .. Pps];

    private static List<byte[]> Nals(byte[] frame)
    {
        var list = new List<byte[]>();
        var rest = (ReadOnlySpan<byte>)frame;
        while (NalUnits.TryNext(ref rest, out var nal)) list.Add(nal.ToArray());
        Assert.True(rest.IsEmpty);
        return list;
    }

    private static FramedUnit FrameOne(ContainerFramer framer, byte[] packet)
    {
        var output = new List<FramedUnit>();
        Assert.True(framer.TryFrame(packet, output));
        return Assert.Single(output);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(2)]
    [InlineData(1)]
    public void An_MP4_keyframe_gets_the_avcC_SPS_and_PPS_in_front_as_4_byte_lengths(int lengthSize)
    {
        var framer = new NalFramer(MediaCodec.H264, AvcC(lengthSize), new CodecParameters());
        var key = FrameOne(framer, Prefixed(lengthSize, Idr));
        Assert.True(key.Keyframe);
        Assert.Equal([Sps, Pps, Idr], Nals(key.Data));
        var delta = FrameOne(framer, Prefixed(lengthSize, Slice));
        Assert.False(delta.Keyframe);
        Assert.Equal([Slice], Nals(delta.Data));
        Assert.Equal("42c01e", framer.Parameters.ProfileLevelId);
        Assert.True(framer.Parameters.Width > 0 && framer.Parameters.Height > 0);
    }

    [Fact]
    public void An_avcC_record_is_read_as_ISO_14496_15_lays_it_out()
    {
        Assert.True(AvcConfiguration.TryParse(AvcC(4), out var config));
        Assert.Equal(4, config!.LengthSize);
        Assert.Equal([Sps], config.Sps);
        Assert.Equal([Pps], config.Pps);
        var whole = AvcC(4);
        for (var n = 0; n < whole.Length; n++) Assert.False(AvcConfiguration.TryParse(whole.AsSpan(0, n), out _), $"{n} bytes");
        Assert.False(AvcConfiguration.TryParse([.. whole.Take(4), 0xfe, .. whole.Skip(5)], out _)); // 3-byte lengths are not allowed
    }

    [Fact]
    public void An_Annex_B_keyframe_with_its_sets_in_band_loses_its_delimiter_and_gains_nothing()
    {
        var framer = new NalFramer(MediaCodec.H264, [], new CodecParameters());
        var key = FrameOne(framer, AnnexB(Aud, Sps, Pps, Sei, Idr));
        Assert.True(key.Keyframe);
        Assert.Equal([Sps, Pps, Sei, Idr], Nals(key.Data));
        Assert.Equal(Sps, framer.ParameterSets.Sps);
        Assert.Equal(Pps, framer.ParameterSets.Pps);
    }

    [Fact]
    public void A_keyframe_missing_only_its_PPS_gets_it_after_the_SPS_before_the_slice()
    {
        var framer = new NalFramer(MediaCodec.H264, AnnexB(Sps, Pps), new CodecParameters());
        var key = FrameOne(framer, AnnexB(Aud, Sps, Sei, Idr));
        Assert.Equal([Sps, Sei, Pps, Idr], Nals(key.Data));
    }

    [Fact]
    public void A_keyframe_before_any_parameter_set_goes_out_as_it_came()
    {
        var framer = new NalFramer(MediaCodec.H264, [], new CodecParameters());
        Assert.Equal([Idr], Nals(FrameOne(framer, AnnexB(Idr)).Data));
    }

    [Fact]
    public void Annex_B_in_an_MP4_sample_is_still_understood()
    {
        var framer = new NalFramer(MediaCodec.H264, AvcC(4), new CodecParameters());
        Assert.Equal([Sps, Pps, Idr], Nals(FrameOne(framer, AnnexB(Idr)).Data));
    }

    [Fact]
    public void A_length_past_the_end_or_a_packet_of_delimiters_only_is_dropped_and_counted()
    {
        var framer = new NalFramer(MediaCodec.H264, AvcC(4), new CodecParameters());
        var output = new List<FramedUnit>();
        Assert.False(framer.TryFrame([0, 0, 0, 9, 0x65, 1, 2], output));
        Assert.False(framer.TryFrame(Prefixed(4, Aud), output));
        Assert.False(framer.TryFrame([], output));
        Assert.Empty(output);
        Assert.Equal(3, framer.Dropped(DropReason.MalformedPayload));
    }

    [Fact]
    public void An_H265_CRA_gets_VPS_SPS_PPS_from_the_hvcC_record()
    {
        // hvcC: 22 bytes of general fields (lengthSizeMinusOne = 3 in byte 21), then 3 arrays of one NAL unit each.
        byte[] Array(int type, byte[] nal) => [(byte)(0x80 | type), 0, 1, 0, (byte)nal.Length, .. nal];
        byte[] hvcc = [1, .. new byte[20], 0x0f, 3, .. Array(32, Vps), .. Array(33, HevcSps), .. Array(34, HevcPps)];
        Assert.True(HevcConfiguration.TryParse(hvcc, out var config));
        Assert.Equal((4, 1, 1, 1), (config!.LengthSize, config.Vps.Count, config.Sps.Count, config.Pps.Count));

        var framer = new NalFramer(MediaCodec.H265, hvcc, new CodecParameters());
        var key = FrameOne(framer, Prefixed(4, Cra));
        Assert.True(key.Keyframe);
        Assert.Equal([Vps, HevcSps, HevcPps, Cra], Nals(key.Data));
        var delta = FrameOne(framer, Prefixed(4, Trail));
        Assert.False(delta.Keyframe);
        Assert.Equal([Trail], Nals(delta.Data));
    }

    [Fact]
    public void An_H265_Annex_B_access_unit_loses_its_delimiter()
    {
        byte[] aud = [0x46, 0x01, 0x50];
        var framer = new NalFramer(MediaCodec.H265, [], new CodecParameters());
        var key = FrameOne(framer, AnnexB(aud, Vps, HevcSps, HevcPps, Cra));
        Assert.Equal([Vps, HevcSps, HevcPps, Cra], Nals(key.Data));
    }

    // ISO/IEC 13818-7 §6.2: an ADTS header for AAC-LC (profile 1), 48 kHz (index 3), mono, around a payload.
    private static byte[] Adts(byte[] payload, bool crc = false)
    {
        var length = payload.Length + (crc ? 9 : 7);
        byte[] header = [0xff, (byte)(crc ? 0xf0 : 0xf1), 0x4c, (byte)(0x40 | length >> 11), (byte)(length >> 3), (byte)((length & 7) << 5 | 0x1f), 0xfc];
        return [.. header, .. crc ? new byte[] { 0x12, 0x34 } : [], .. payload];
    }

    [Fact]
    public void ADTS_frames_lose_their_headers_and_give_the_AudioSpecificConfig()
    {
        var framer = new AacFramer([], new CodecParameters { SampleRate = 48000, Channels = 1 });
        var output = new List<FramedUnit>();
        Assert.True(framer.TryFrame([.. Adts([1, 2, 3]), .. Adts([4, 5], crc: true)], output));
        Assert.Equal([[1, 2, 3], [4, 5]], output.Select(u => u.Data));
        Assert.Equal([0, 1024], output.Select(u => u.Offset));
        Assert.Equal([0x11, 0x88], framer.Parameters.Config!); // AAC-LC, 48 kHz, mono (ISO/IEC 14496-3 §1.6.2.1)
        Assert.Equal((48000, 1), (framer.Parameters.SampleRate, framer.Parameters.Channels));
    }

    [Fact]
    public void An_ADTS_header_is_read_field_by_field()
    {
        Assert.True(AdtsHeader.TryParse(Adts([9, 9, 9, 9]), out var h));
        Assert.Equal((2, 48000, 1, 7, 11, 1), (h.ObjectType, h.SampleRate, h.ChannelConfiguration, h.HeaderLength, h.FrameLength, h.RawBlocks));
        Assert.False(AdtsHeader.TryParse(Adts([9, 9, 9, 9])[..10], out _)); // frame_length beyond the data
        Assert.False(AdtsHeader.TryParse([0xff, 0xf7, 0x4c, 0x40, 0x01, 0x7f, 0xfc], out _)); // layer must be 0
    }

    [Fact]
    public void A_truncated_ADTS_frame_keeps_the_frames_before_it()
    {
        var framer = new AacFramer([], new CodecParameters { SampleRate = 48000 });
        var output = new List<FramedUnit>();
        Assert.True(framer.TryFrame([.. Adts([1, 2, 3]), .. Adts([4, 5, 6])[..8]], output));
        Assert.Single(output);
        Assert.Equal(1, framer.Dropped(DropReason.MalformedPayload));
    }

    [Fact]
    public void Raw_AAC_from_an_MP4_needs_and_keeps_its_config()
    {
        var framer = new AacFramer([0x12, 0x10], new CodecParameters { SampleRate = 44100, Channels = 2 });
        Assert.Equal((44100, 2), (framer.Parameters.SampleRate, framer.Parameters.Channels));
        Assert.Equal([0x21, 0x7a], FrameOne(framer, [0x21, 0x7a]).Data);
        var none = new AacFramer([], new CodecParameters { SampleRate = 44100 });
        Assert.False(none.TryFrame([0x21, 0x7a], []));
    }

    [Theory]
    [InlineData(new byte[] { 0xfc, 0xaa }, 960)]             // CELT 20 ms, one frame (RFC 6716 §3.1)
    [InlineData(new byte[] { 0xf8 | 1, 0xaa, 0xbb }, 1920)]  // CELT 20 ms, two frames
    [InlineData(new byte[] { 0x18 | 3, 0x03, 0xaa }, 8640)]  // SILK 60 ms, three frames (code 3, count 3)
    [InlineData(new byte[] { 0x80, 0xaa }, 120)]             // CELT 2.5 ms
    public void Opus_frames_count_their_samples_from_the_TOC(byte[] packet, int samples)
    {
        var framer = new WholeFrameFramer(MediaCodec.Opus, new CodecParameters { Channels = 2 });
        Assert.Equal(48000, framer.ClockRate);
        Assert.Equal(samples, framer.Samples(packet));
    }

    [Fact]
    public void VP8_keyframes_are_told_by_their_frame_tag_and_give_the_picture_size()
    {
        var framer = new WholeFrameFramer(MediaCodec.VP8, new CodecParameters());
        // RFC 6386 §9.1: P bit 0 (key frame), start code 9d 01 2a, 14-bit width and height.
        var key = FrameOne(framer, [0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00, 0xaa]);
        Assert.True(key.Keyframe);
        Assert.Equal((320, 240), (framer.Parameters.Width, framer.Parameters.Height));
        Assert.False(FrameOne(framer, [0x31, 0x02, 0x00, 0xaa]).Keyframe);
    }
}
