using Sightline.Media.Transcoding;
using Sightline.Rtp.Packetization;
using Sightline.WebRtc.Sdp;

namespace Sightline.Media.Negotiation;

/// <summary>What a camera's video is, as choosing what each viewer gets needs it.</summary>
/// <param name="ProfileLevelId">H.264: the stream's own <c>profile-level-id</c> (from its SPS), when known.</param>
/// <param name="Reorders">The stream reorders frames (B-frames): WebRTC receivers do not take it as it is.</param>
public sealed record CameraVideo(MediaCodec Codec, string? ProfileLevelId = null, bool Reorders = false, int Width = 0, int Height = 0);

/// <summary>
/// What one viewer gets: the offered payload type it is sent on, the codec, whether it is the camera's own stream
/// (<see cref="Passthrough"/>) or re-encoded layers, and what the answer announces for it.
/// </summary>
public sealed record ViewerVideo(OfferedCodec Offered, MediaCodec Codec, bool Passthrough, string? ProfileLevelId, string Reason)
{
    /// <summary>The payload type's fmtp as the answer states it: what is really sent (RFC 6184 §8.2.2 for H.264).</summary>
    public IReadOnlyDictionary<string, string> AnswerFmtp => Codec == MediaCodec.H264
        ? new Dictionary<string, string>
        {
            ["level-asymmetry-allowed"] = "1",
            ["packetization-mode"] = "1",
            ["profile-level-id"] = ProfileLevelId ?? "42e01f",
        }
        : Offered.Fmtp;

    /// <summary>
    /// Chooses what a viewer whose offer is <paramref name="offer"/> gets of <paramref name="camera"/>'s video:
    /// <list type="number">
    /// <item>the camera's own stream when it is H.264 or VP8 without reordering and the offer has a payload type whose
    /// decoder takes it (for H.264: <see cref="RemoteOffer.ChooseH264"/>'s profile rule);</item>
    /// <item>else re-encoded (when <paramref name="canTranscode"/>, at <paramref name="ladder"/>'s frame rate): in H.264 Constrained Baseline, which every H.264
    /// decoder takes, or VP8 — VP8 first for a VP8 camera, H.264 first otherwise;</item>
    /// <item>else null, with <paramref name="refusal"/> saying why in plain words.</item>
    /// </list>
    /// </summary>
    public static ViewerVideo? Choose(OfferedMedia offer, CameraVideo camera, bool canTranscode, LadderOptions ladder, out string? refusal)
    {
        refusal = null;
        if (!camera.Reorders && QualityLadder.BrowsersDecode(camera.Codec))
        {
            var direct = camera.Codec == MediaCodec.H264 ? RemoteOffer.ChooseH264(offer, camera.ProfileLevelId) : Find(offer, "VP8");
            if (direct is not null) return new ViewerVideo(direct, camera.Codec, true, camera.Codec == MediaCodec.H264 ? camera.ProfileLevelId : null, "the camera's own stream");
        }
        var why = camera.Reorders ? $"the camera's {camera.Codec} reorders frames (B-frames), which WebRTC receivers do not take"
            : !QualityLadder.BrowsersDecode(camera.Codec) ? $"browsers do not decode {camera.Codec} over WebRTC"
            : camera.Codec == MediaCodec.H264 && Find(offer, "H264") is not null ? $"the viewer's H.264 decoders do not take the camera's profile {Describe(camera.ProfileLevelId)}"
            : $"the viewer offers no {camera.Codec}";
        if (!canTranscode)
        {
            refusal = $"{why}, and re-encoding is not available on this server (FFmpeg's libraries are missing)";
            return null;
        }
        var level = QualityLadder.AnnouncedLevel(camera.Width, camera.Height, ladder.FramesPerSecond);
        var h264 = RemoteOffer.ChooseH264(offer, $"42e0{level:x2}");
        var vp8 = Find(offer, "VP8");
        ViewerVideo? H264() => h264 is null ? null : new ViewerVideo(h264, MediaCodec.H264, false, $"42e0{level:x2}", why + ": re-encoded to H.264");
        ViewerVideo? Vp8() => vp8 is null ? null : new ViewerVideo(vp8, MediaCodec.VP8, false, null, why + ": re-encoded to VP8");
        var chosen = camera.Codec == MediaCodec.VP8 ? Vp8() ?? H264() : H264() ?? Vp8();
        if (chosen is not null) return chosen;
        var offered = string.Join(", ", offer.Codecs.Select(c => c.Name).Where(n => n is not ("rtx" or "red" or "ulpfec" or "flexfec-03")).Distinct(StringComparer.OrdinalIgnoreCase));
        refusal = $"the viewer offers no video codec Sightline can send (it offers {(offered.Length == 0 ? "none" : offered)}; Sightline sends H.264 and VP8)";
        return null;
    }

    private static OfferedCodec? Find(OfferedMedia offer, string name) => offer.Codecs.FirstOrDefault(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    private static string Describe(string? profileLevelId) => Sightline.Rtp.Codecs.H264.H264Profile.TryParse(profileLevelId, out var p) ? $"{p.Kind} ({profileLevelId})" : profileLevelId ?? "unknown";
}
