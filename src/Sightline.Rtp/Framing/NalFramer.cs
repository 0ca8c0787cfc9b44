using System.Buffers.Binary;
using Sightline.Rtp.Codecs;
using Sightline.Rtp.Codecs.H264;
using Sightline.Rtp.Codecs.H265;
using Sightline.Rtp.Packetization;

namespace Sightline.Rtp.Framing;

/// <summary>
/// H.264 and H.265 access units from containers: length-prefixed samples (MP4, MKV, FLV: 1, 2 or 4-byte lengths, the
/// parameter sets in an avcC/hvcC record) or Annex B (MPEG-TS, raw streams: start codes, parameter sets in-band or in
/// Annex B extradata). Out, as the RTP depacketizers make them: 4-byte length-prefixed NAL units, access unit
/// delimiters and filler dropped, and the last VPS/SPS/PPS put in front of every keyframe that lacks them, so a viewer
/// can start at any keyframe.
/// </summary>
public sealed class NalFramer : ContainerFramer
{
    private readonly bool _h265;
    private readonly int _lengthSize; // 0: the packets are Annex B
    private readonly List<(int Start, int Length)> _nals = [];
    private byte[]? _vps, _sps, _pps;
    // Frame reordering (B-frames), as the RTP depacketizers detect it: files and re-streams often have them.
    private readonly ReorderDetector _reordering;

    public NalFramer(MediaCodec codec, ReadOnlySpan<byte> extradata, CodecParameters described)
    {
        if (codec is not (MediaCodec.H264 or MediaCodec.H265)) throw new ArgumentException("H.264 or H.265 only", nameof(codec));
        Codec = codec;
        _h265 = codec == MediaCodec.H265;
        _reordering = _h265 ? ReorderDetector.ForH265() : ReorderDetector.ForH264();
        Parameters = described;
        if (!_h265 && AvcConfiguration.TryParse(extradata, out var avc))
        {
            _lengthSize = avc!.LengthSize;
            foreach (var nal in avc.Sps.Concat(avc.Pps)) Remember(nal);
        }
        else if (_h265 && HevcConfiguration.TryParse(extradata, out var hevc))
        {
            _lengthSize = hevc!.LengthSize;
            foreach (var nal in hevc.Vps.Concat(hevc.Sps).Concat(hevc.Pps)) Remember(nal);
        }
        else if (!extradata.IsEmpty)
        {
            if (SplitAnnexB(extradata)) foreach (var (start, length) in _nals) Remember(extradata.Slice(start, length));
        }
    }

    public override MediaCodec Codec { get; }
    public override int ClockRate => 90000;

    /// <summary>The parameter sets put in front of keyframes (null until seen).</summary>
    public (byte[]? Vps, byte[]? Sps, byte[]? Pps) ParameterSets => (_vps, _sps, _pps);

    public override bool TryFrame(ReadOnlySpan<byte> packet, List<FramedUnit> output)
    {
        // Some muxers write Annex B into MP4 samples, and a length-prefixed packet never starts with 00 00 01 (a NAL of
        // one byte is no slice): fall back on the other form when the declared one does not parse.
        var parsed = _lengthSize > 0
            ? SplitLengthPrefixed(packet, _lengthSize) || (StartsWithStartCode(packet) && SplitAnnexB(packet))
            : StartsWithStartCode(packet) ? SplitAnnexB(packet) : SplitLengthPrefixed(packet, 4);
        if (!parsed || _nals.Count == 0) return Drop(DropReason.MalformedPayload);

        bool hasVps = false, hasSps = false, hasPps = false, keyframe = false;
        var firstVcl = -1;
        var size = 0;
        for (var i = 0; i < _nals.Count; i++)
        {
            var nal = packet.Slice(_nals[i].Start, _nals[i].Length);
            var type = Type(nal);
            if (IsDropped(type)) continue;
            size += 4 + nal.Length;
            if (IsVcl(type) && firstVcl < 0) firstVcl = i;
            if (IsKeyframe(type)) keyframe = true;
            switch (SetKind(type))
            {
                case 1: hasVps = true; Remember(nal); break;
                case 2: hasSps = true; Remember(nal); break;
                case 3: hasPps = true; Remember(nal); break;
            }
        }
        if (size == 0) return Drop(DropReason.MalformedPayload);

        // Missing parameter sets go right before the first slice (a keyframe has one: keyframes are slices), so in-band
        // ones that came first keep their order.
        var insert = keyframe && _sps is not null && _pps is not null && (!hasSps || !hasPps || _h265 && !hasVps && _vps is not null);
        if (insert)
        {
            if (_h265 && !hasVps && _vps is not null) size += 4 + _vps.Length;
            if (!hasSps) size += 4 + _sps!.Length;
            if (!hasPps) size += 4 + _pps!.Length;
        }
        if (size > Depacketizer.MaxFrameSize) return Drop(DropReason.FrameTooLarge);

        var data = new byte[size];
        var o = 0;
        for (var i = 0; i < _nals.Count; i++)
        {
            var nal = packet.Slice(_nals[i].Start, _nals[i].Length);
            if (IsDropped(Type(nal))) continue;
            if (insert && i == firstVcl)
            {
                if (_h265 && !hasVps && _vps is not null) o += Put(data.AsSpan(o), _vps);
                if (!hasSps) o += Put(data.AsSpan(o), _sps!);
                if (!hasPps) o += Put(data.AsSpan(o), _pps!);
            }
            o += Put(data.AsSpan(o), nal);
        }
        if (_reordering.Feed(data)) Parameters = Parameters with { Reordering = _reordering.Known };
        output.Add(new FramedUnit(data, keyframe, 0));
        return true;
    }

    private int Type(ReadOnlySpan<byte> nal) => _h265 ? nal[0] >> 1 & 0x3f : nal[0] & 0x1f;

    // H.264 AUD 9, filler 12 (H.264 §7.4.1.2.3); H.265 AUD 35, filler 38 (H.265 §7.4.2.2): nothing a decoder needs.
    private bool IsDropped(int type) => _h265 ? type is 35 or 38 : type is 9 or 12;
    private bool IsVcl(int type) => _h265 ? type < 32 : type is >= 1 and <= 5;
    // H.264: an IDR picture (5). H.265: an IRAP picture (BLA, IDR, CRA: 16–21), as the RTP depacketizers decide.
    private bool IsKeyframe(int type) => _h265 ? type is >= 16 and <= 21 : type == 5;
    private int SetKind(int type) => _h265
        ? type switch { 32 => 1, 33 => 2, 34 => 3, _ => 0 }
        : type switch { 7 => 2, 8 => 3, _ => 0 };

    private void Remember(ReadOnlySpan<byte> nal)
    {
        if (nal.Length < (_h265 ? 3 : 2)) return;
        switch (SetKind(Type(nal)))
        {
            case 1:
                _vps = nal.ToArray();
                break;
            case 2:
                if (_sps is not null && nal.SequenceEqual(_sps)) return;
                _sps = nal.ToArray();
                if (_reordering.FeedParameterSet(nal)) Parameters = Parameters with { Reordering = _reordering.Known };
                if (!_h265 && H264Sps.Parse(nal) is { } avc)
                {
                    Parameters = Parameters with
                    {
                        Width = avc.Width,
                        Height = avc.Height,
                        Profile = avc.ProfileName,
                        ProfileLevelId = avc.ProfileLevelId,
                        FrameRate = avc.FrameRate ?? Parameters.FrameRate,
                    };
                }
                else if (_h265 && H265Sps.Parse(nal) is { } hevc)
                {
                    Parameters = Parameters with { Width = hevc.Width, Height = hevc.Height, Profile = hevc.ProfileName };
                }
                break;
            case 3:
                _pps = nal.ToArray();
                break;
        }
    }

    private static int Put(Span<byte> destination, ReadOnlySpan<byte> nal)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)nal.Length);
        nal.CopyTo(destination[4..]);
        return 4 + nal.Length;
    }

    private static bool StartsWithStartCode(ReadOnlySpan<byte> p) =>
        p.Length >= 3 && p[0] == 0 && p[1] == 0 && (p[2] == 1 || p.Length >= 4 && p[2] == 0 && p[3] == 1);

    private bool SplitLengthPrefixed(ReadOnlySpan<byte> packet, int lengthSize)
    {
        _nals.Clear();
        var offset = 0;
        while (offset < packet.Length)
        {
            if (offset + lengthSize > packet.Length) return false;
            var length = 0;
            for (var k = 0; k < lengthSize; k++) length = length << 8 | packet[offset + k];
            offset += lengthSize;
            if (length <= 0 || length > packet.Length - offset) return false;
            _nals.Add((offset, length));
            offset += length;
        }
        return true;
    }

    // NAL units between start codes (H.264 Annex B.1), without the trailing zeros a 4-byte start code leaves before them.
    private bool SplitAnnexB(ReadOnlySpan<byte> stream)
    {
        _nals.Clear();
        var start = -1;
        var i = 0;
        while (i + 2 < stream.Length)
        {
            if (stream[i] == 0 && stream[i + 1] == 0 && stream[i + 2] == 1)
            {
                if (start >= 0) Add(stream, start, i);
                i += 3;
                start = i;
                continue;
            }
            i++;
        }
        if (start >= 0 && start < stream.Length) Add(stream, start, stream.Length);
        return start >= 0;

        void Add(ReadOnlySpan<byte> s, int from, int to)
        {
            while (to > from && s[to - 1] == 0) to--;
            if (to > from) _nals.Add((from, to - from));
        }
    }
}
