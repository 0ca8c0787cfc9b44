using Sightline.Rtp.Codecs.H264;
using Sightline.Rtp.Codecs.H265;

namespace Sightline.Rtp.Codecs;

/// <summary>Why the <see cref="ReorderDetector"/> passed over a NAL unit. Counted, never thrown.</summary>
public enum ReorderInputIssue { UnreadableSps, UnreadableSliceHeader, SliceBeforeSps }

/// <summary>
/// Decides from the bitstream whether an H.264 or H.265 stream reorders frames (<see cref="FrameReordering"/>). Fed
/// every access unit in decode order (4-byte length-prefixed NAL units, as <c>EncodedFrame.Data</c>), plus parameter
/// sets given out of band. Pure parsing; in steady state (the same SPS repeated) nothing is allocated per frame.
/// <list type="bullet">
/// <item>H.264 with a VUI bitstream restriction: <c>max_num_reorder_frames</c> settles it (§E.2.1).</item>
/// <item>H.264 <c>pic_order_cnt_type</c> 2: output order is decode order (§8.2.1.3).</item>
/// <item>Otherwise the first slice header of each picture: a B slice means reordering, and with
/// <c>pic_order_cnt_type</c> 0 the depth is measured as the most pictures of the GOP decoded before one and shown after
/// it (POC per §8.2.1.1; <c>memory_management_control_operation</c> 5 is not followed: no camera we know sends it).</item>
/// <item>H.265: <c>sps_max_num_reorder_pics[HighestTid]</c>, which every SPS carries (§7.3.2.2), settles it.</item>
/// </list>
/// </summary>
public sealed class ReorderDetector
{
    // H.264 §A.3.1: a DPB holds at most 16 frames, so no picture can be shown after more than 16 decoded before it.
    private const int MaxDepth = 16;
    private const int NalSliceNonIdr = 1, NalIdr = 5, NalSps = 7;
    private const int NalH265Sps = 33;

    private readonly bool _h265;
    private readonly long[] _gopPocs = new long[MaxDepth];
    private readonly long[] _issues = new long[Enum.GetValues<ReorderInputIssue>().Length];
    private byte[]? _spsBytes;
    private H264Sps? _sps;
    private int _gopCount, _gopNext;
    private long _prevPocMsb;
    private int _prevPocLsb;
    private bool _prevWasFirstField, _prevBottomField;
    private int _prevFrameNum = -1;
    private bool _sawBSlices;
    private int _pocDepth;

    private ReorderDetector(bool h265) => _h265 = h265;

    public static ReorderDetector ForH264() => new(h265: false);
    public static ReorderDetector ForH265() => new(h265: true);

    /// <summary>The verdict so far; replaced (never mutated) when it changes.</summary>
    public FrameReordering Current { get; private set; } = FrameReordering.Unknown;

    /// <summary><see cref="Current"/>, or null while it is <see cref="FrameReordering.Unknown"/>.</summary>
    public FrameReordering? Known => Current == FrameReordering.Unknown ? null : Current;

    /// <summary>Pictures whose slice headers were read (H.264 streams the SPS does not settle).</summary>
    public long PicturesExamined { get; private set; }

    public long Issues(ReorderInputIssue issue) => _issues[(int)issue];

    /// <summary>One access unit, in decode order. Returns true when <see cref="Current"/> changed.</summary>
    public bool Feed(ReadOnlySpan<byte> accessUnit)
    {
        var before = Current;
        var sliceSeen = false;
        var rest = accessUnit;
        while (NalUnits.TryNext(ref rest, out var nal))
        {
            if (nal.Length < (_h265 ? 3 : 2)) continue;
            if (_h265)
            {
                if ((nal[0] >> 1 & 0x3f) == NalH265Sps) ObserveSps(nal);
                continue;
            }
            var type = nal[0] & 0x1f;
            if (type == NalSps)
            {
                ObserveSps(nal);
            }
            else if (type is NalSliceNonIdr or NalIdr && !sliceSeen)
            {
                // Every slice of a picture carries the same slice_type class, frame_num and POC (§7.4.3): one is enough.
                sliceSeen = true;
                ObserveSlice(nal, type == NalIdr);
            }
        }
        return Current != before;
    }

    /// <summary>A parameter set from outside the stream (SDP <c>sprop-parameter-sets</c>, <c>sprop-sps</c>).</summary>
    public bool FeedParameterSet(ReadOnlySpan<byte> nal)
    {
        var before = Current;
        if (nal.Length >= 2 && (_h265 ? (nal[0] >> 1 & 0x3f) == NalH265Sps : (nal[0] & 0x1f) == NalSps)) ObserveSps(nal);
        return Current != before;
    }

    private void ObserveSps(ReadOnlySpan<byte> nal)
    {
        // Cameras repeat the same SPS before every keyframe: only a different one is parsed (and copied).
        if (_spsBytes is not null && nal.SequenceEqual(_spsBytes)) return;
        _spsBytes = nal.ToArray();
        ResetSlices();
        if (_h265)
        {
            var sps = H265Sps.Parse(nal);
            if (sps?.MaxNumReorderPics is not { } n)
            {
                _issues[(int)ReorderInputIssue.UnreadableSps]++;
                Current = FrameReordering.Unknown;
                return;
            }
            Current = new FrameReordering(n > 0, n, $"SPS sps_max_num_reorder_pics={n}", true);
            return;
        }
        _sps = H264Sps.Parse(nal);
        if (_sps is null)
        {
            _issues[(int)ReorderInputIssue.UnreadableSps]++;
            Current = FrameReordering.Unknown;
        }
        else if (_sps.MaxNumReorderFrames is { } n)
        {
            Current = new FrameReordering(n > 0, n, $"SPS VUI max_num_reorder_frames={n}", true);
        }
        else if (_sps.PicOrderCntType == 2)
        {
            Current = new FrameReordering(false, 0, "SPS pic_order_cnt_type=2 (output order is decode order)", true);
        }
        else
        {
            Current = NoneSeen;
        }
    }

    private static readonly FrameReordering NoneSeen = new(false, 0, "no B slices nor backward picture order count seen", false);

    private void ResetSlices()
    {
        _sps = null;
        _sawBSlices = false;
        _pocDepth = 0;
        _gopCount = _gopNext = 0;
        _prevPocMsb = _prevPocLsb = 0;
        _prevWasFirstField = false;
        _prevFrameNum = -1;
        PicturesExamined = 0;
    }

    private void ObserveSlice(ReadOnlySpan<byte> nal, bool idr)
    {
        var sps = _sps;
        if (sps is null)
        {
            if (_spsBytes is null) _issues[(int)ReorderInputIssue.SliceBeforeSps]++;
            return;
        }
        if (sps.MaxNumReorderFrames is not null || sps.PicOrderCntType == 2) return; // the SPS settled it

        // slice_header() up to pic_order_cnt_lsb (§7.3.3): a few bytes, unescaped on the stack.
        Span<byte> head = stackalloc byte[32];
        var r = new BitReader(head[..NalUnits.ToRbsp(nal[1..], head)]);
        r.ReadUe(); // first_mb_in_slice
        var sliceType = r.ReadUe();
        r.ReadUe(); // pic_parameter_set_id
        if (sps.SeparateColourPlane) r.Skip(2); // colour_plane_id
        var frameNum = (int)r.ReadBits(sps.Log2MaxFrameNum);
        bool field = false, bottom = false;
        if (!sps.FrameMbsOnly)
        {
            field = r.ReadBit() == 1;
            if (field) bottom = r.ReadBit() == 1;
        }
        if (idr) r.ReadUe(); // idr_pic_id
        var pocLsb = sps.PicOrderCntType == 0 ? (int)r.ReadBits(sps.Log2MaxPicOrderCntLsb) : 0;
        if (r.Overrun || sliceType > 9)
        {
            _issues[(int)ReorderInputIssue.UnreadableSliceHeader]++;
            return;
        }
        PicturesExamined++;
        if (sliceType % 5 == 1) _sawBSlices = true; // B (1) or all-B (6), Table 7-6

        if (sps.PicOrderCntType == 0)
        {
            // The second field of a pair belongs to the frame already counted (§3.30, complementary field pair).
            var secondField = field && _prevWasFirstField && frameNum == _prevFrameNum && bottom != _prevBottomField;
            _prevWasFirstField = field && !secondField;
            _prevBottomField = bottom;
            _prevFrameNum = frameNum;
            var reference = (nal[0] >> 5 & 3) != 0;
            var poc = PictureOrderCount(pocLsb, idr, reference, sps.Log2MaxPicOrderCntLsb);
            if (!secondField) NotePoc(poc, idr);
        }
        Current = Verdict();
    }

    /// <summary>TopFieldOrderCnt (or the field's own count) for <c>pic_order_cnt_type</c> 0, §8.2.1.1.</summary>
    private long PictureOrderCount(int lsb, bool idr, bool reference, int log2MaxLsb)
    {
        if (idr)
        {
            _prevPocMsb = 0;
            _prevPocLsb = 0;
        }
        var maxLsb = 1 << log2MaxLsb;
        var msb = _prevPocMsb;
        if (lsb < _prevPocLsb && _prevPocLsb - lsb >= maxLsb / 2) msb += maxLsb;
        else if (lsb > _prevPocLsb && lsb - _prevPocLsb > maxLsb / 2) msb -= maxLsb;
        if (reference)
        {
            _prevPocMsb = msb;
            _prevPocLsb = lsb;
        }
        return msb + lsb;
    }

    /// <summary>Counts the pictures of this GOP decoded before this one that are shown after it.</summary>
    private void NotePoc(long poc, bool idr)
    {
        if (idr) _gopCount = _gopNext = 0;
        var later = 0;
        for (var i = 0; i < _gopCount; i++)
        {
            if (_gopPocs[i] > poc) later++;
        }
        if (later > _pocDepth) _pocDepth = later;
        _gopPocs[_gopNext] = poc;
        _gopNext = (_gopNext + 1) % MaxDepth;
        if (_gopCount < MaxDepth) _gopCount++;
    }

    private FrameReordering Verdict()
    {
        if (!_sawBSlices && _pocDepth == 0) return NoneSeen;
        // A struct over constant strings: building it for every picture allocates nothing.
        var reason = (_sawBSlices, _pocDepth > 0) switch
        {
            (true, true) => "B slices, picture order count goes backwards",
            (true, false) => "B slices",
            _ => "picture order count goes backwards",
        };
        return new FrameReordering(true, Math.Max(_pocDepth, 1), reason, true);
    }
}
