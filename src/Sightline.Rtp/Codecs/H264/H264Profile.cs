using System.Globalization;

namespace Sightline.Rtp.Codecs.H264;

/// <summary>The H.264 profiles WebRTC endpoints announce (RFC 6184 §8.1 <c>profile-level-id</c>, H.264 Annex A).</summary>
public enum H264ProfileKind { ConstrainedBaseline, Baseline, Main, ConstrainedHigh, High, PredictiveHigh444, Other }

/// <summary>
/// A <c>profile-level-id</c> read as a profile and a level: <c>profile_idc</c> with the constraint flags
/// (<c>profile-iop</c>) that make a stream Constrained Baseline (H.264 §A.2.1.1) or Constrained High (§A.2.4.2).
/// </summary>
public readonly record struct H264Profile(H264ProfileKind Kind, int ProfileIdc, int Constraints, int LevelIdc)
{
    /// <summary>Reads six hex digits (<c>42e01f</c>); false for anything else.</summary>
    public static bool TryParse(string? profileLevelId, out H264Profile profile)
    {
        profile = default;
        if (profileLevelId is not { Length: 6 } || !int.TryParse(profileLevelId, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)) return false;
        profile = From(value >> 16, value >> 8 & 0xFF, value & 0xFF);
        return true;
    }

    /// <summary>The profile of a stream from its SPS fields (<c>profile_idc</c>, the constraint_set flags byte, <c>level_idc</c>).</summary>
    public static H264Profile From(int profileIdc, int constraints, int levelIdc)
    {
        bool Set(int bit) => (constraints & (0x80 >> bit)) != 0;
        var kind = profileIdc switch
        {
            // constraint_set1 on Baseline, constraint_set0 on Main (the stream obeys Baseline's constraints too) and
            // constraint_set0+1 on Extended are Constrained Baseline (§A.2.1.1), as libwebrtc reads them.
            66 => Set(1) ? H264ProfileKind.ConstrainedBaseline : H264ProfileKind.Baseline,
            77 => Set(0) ? H264ProfileKind.ConstrainedBaseline : H264ProfileKind.Main,
            88 => Set(0) && Set(1) ? H264ProfileKind.ConstrainedBaseline : Set(0) ? H264ProfileKind.Baseline : H264ProfileKind.Other,
            100 => Set(4) && Set(5) ? H264ProfileKind.ConstrainedHigh : H264ProfileKind.High,
            244 => H264ProfileKind.PredictiveHigh444,
            _ => H264ProfileKind.Other,
        };
        return new H264Profile(kind, profileIdc, constraints, levelIdc);
    }

    /// <summary>The six hex digits, as SDP writes them.</summary>
    public override string ToString() => $"{ProfileIdc:x2}{Constraints:x2}{LevelIdc:x2}";

    /// <summary>
    /// True when a decoder conforming to this profile must decode a stream of <paramref name="stream"/>'s profile
    /// (H.264 §A.2: a Main, Constrained High, High or High 4:4:4 decoder decodes Constrained Baseline; a High decoder
    /// decodes Main and Constrained High; a High 4:4:4 decoder decodes High). Levels are not compared: browsers'
    /// decoders take any level, and the answer announces the stream's own.
    /// </summary>
    public bool Decodes(H264Profile stream)
    {
        if (Kind == H264ProfileKind.Other || stream.Kind == H264ProfileKind.Other) return Kind == stream.Kind && ProfileIdc == stream.ProfileIdc;
        return (Kind, stream.Kind) switch
        {
            var (d, s) when d == s => true,
            (_, H264ProfileKind.ConstrainedBaseline) => true,
            (H264ProfileKind.High or H264ProfileKind.PredictiveHigh444, H264ProfileKind.Main or H264ProfileKind.ConstrainedHigh) => true,
            (H264ProfileKind.PredictiveHigh444, H264ProfileKind.High) => true,
            _ => false,
        };
    }

    /// <summary>
    /// The lowest level (H.264 Table A-1) whose frame size and macroblock rate take a picture of this size at this
    /// rate: what an encoder of that picture announces. Unknown sizes get 3.1 (<c>1f</c>), what browsers offer.
    /// </summary>
    public static int LevelFor(int width, int height, double framesPerSecond)
    {
        if (width <= 0 || height <= 0) return 31;
        long mbs = (long)((width + 15) / 16) * ((height + 15) / 16);
        var rate = mbs * Math.Max(1, framesPerSecond);
        ReadOnlySpan<(int Level, long MaxMbps, long MaxFs)> table =
        [
            (10, 1485, 99), (11, 3000, 396), (12, 6000, 396), (13, 11880, 396), (20, 11880, 396), (21, 19800, 792),
            (22, 20250, 1620), (30, 40500, 1620), (31, 108000, 3600), (32, 216000, 5120), (40, 245760, 8192),
            (41, 245760, 8192), (42, 522240, 8704), (50, 589824, 22080), (51, 983040, 36864), (52, 2073600, 36864),
        ];
        foreach (var (level, maxMbps, maxFs) in table)
        {
            // 3.1 is the floor: every WebRTC H.264 decoder offers it, and lower levels only lower the announcement.
            if (level >= 31 && mbs <= maxFs && rate <= maxMbps) return level;
        }
        return 52;
    }
}
