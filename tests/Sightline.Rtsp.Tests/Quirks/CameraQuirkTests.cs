using Sightline.Rtp.Packetization;
using Sightline.Rtsp.Client;
using Sightline.TestKit;
using Xunit.Abstractions;
using static Sightline.Rtsp.Tests.Quirks.QuirkPlayback;

namespace Sightline.Rtsp.Tests.Quirks;

/// <summary>
/// The camera-quirk matrix (the way gortsplib keeps camera quirks as code): one test per way real cameras differ from
/// GStreamer's RTSP server, each driving our <see cref="RtspClient"/> against a camera that shows the quirk — GStreamer's
/// RTSP server where it can (<c>tests/fixtures/rtsp-camera.py</c>), else the <see cref="FakeRtspCamera"/> test double —
/// and asserting what a user needs: it plays (frames, keyframes, the right picture size, pictures FFmpeg decodes), it
/// does not stall or crash. Transports refused with 461 are in <see cref="TransportQuirkTests"/>.
/// </summary>
[Trait("Category", "Interop")]
public sealed class CameraQuirkTests(QuirkMedia media, ITestOutputHelper output) : IClassFixture<QuirkMedia>
{
    private const int Fps = QuirkMedia.Fps;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    /// <summary>
    /// GStreamer cameras play a finite stream (<c>--frames 50</c>); its server sends 49 of them in every run here, and on
    /// a loaded machine a live pipeline can lose a few more, so playing stops at 49 and 90 % is the floor. The fake
    /// camera's counts are exact.
    /// </summary>
    private const int GstFrames = 50;

    private static (int Enough, int Floor) Expect(string kind, int fakeUnits) =>
        kind == "fake" ? (fakeUnits, fakeUnits) : (GstFrames - 1, GstFrames * 9 / 10);

    /// <summary>Some cameras announce no <c>sprop-parameter-sets</c>: SPS and PPS come only in front of each IDR, and
    /// PLAY starts mid-GOP, so nothing is known of the picture until the first keyframe.</summary>
    [Fact]
    public async Task Plays_when_parameter_sets_come_only_in_band()
    {
        var units = media.Vga.Skip(10).ToList();
        await using var camera = FakeRtspCamera.Start(new FakeCameraScript { Tracks = [FakeTrack.H264(units, Fps, spropInSdp: false)], Pace = 2 });
        await using var playback = await PlayAsync(camera.Url, units.Count, Limit);

        Assert.Equal("packetization-mode=1", string.Join(";", playback.Client.Sdp!.Media[0].Fmtp(96).Select(p => $"{p.Key}={p.Value}")));
        Assert.Null(playback.RunError);
        var video = playback.Video.ToList();
        Assert.Equal(units.Count, video.Count);
        var firstKey = video.FindIndex(f => f.Frame.IsKeyframe);
        Assert.Equal(units.FindIndex(u => u.IsKeyframe), firstKey);
        Assert.All(video.Take(firstKey), f => Assert.Null(f.Parameters.Width));
        Assert.All(video.Skip(firstKey), f => Assert.Equal((640, 480), (f.Parameters.Width, f.Parameters.Height)));
        Assert.Equal("Main", video[^1].Parameters.Profile);
        Assert.Equal([7, 8], NalTypes(video[firstKey].Frame).Take(2));
        Assert.Equal(units.Count(u => u.IsKeyframe), playback.Client.Tracks[0].KeyframesReceived);

        var pictures = DecodeH264(video.Select(f => f.Frame));
        output.WriteLine($"{video.Count} frames, first keyframe at {firstKey}, {pictures.Count} pictures decoded");
        Assert.InRange(pictures.Count, video.Count - firstKey - 2, video.Count - firstKey);
        Assert.All(pictures, p => Assert.Equal((640, 480), p));
    }

    /// <summary>Some cameras change their picture size while streaming (a setting changed, a day/night profile): a new
    /// SPS with another size arrives mid-stream.</summary>
    [Theory]
    [InlineData("gstreamer")]
    [InlineData("fake")]
    public async Task Follows_a_resolution_change_mid_stream(string kind)
    {
        await using var gstreamer = kind == "gstreamer" ? await CameraProcess.StartAsync($"--frames {GstFrames} --gop 25 --resize 320x240@1") : null;
        await using var fake = kind == "fake"
            ? FakeRtspCamera.Start(new FakeCameraScript { Tracks = [FakeTrack.H264([.. media.Vga.Take(Fps), .. media.Qvga], Fps)], Pace = 2 })
            : null;
        var sent = kind == "fake" ? Fps + media.Qvga.Count : GstFrames;
        var (enough, floor) = Expect(kind, sent);
        await using var playback = await PlayAsync(gstreamer?.Url ?? fake!.Url, enough, Limit);

        Assert.Null(playback.RunError);
        var video = playback.Video.ToList();
        var changed = video.FindIndex(f => f.Parameters.Width == 320);
        output.WriteLine($"{kind}: {video.Count} frames of {sent}, size changed at frame {changed}");
        Assert.InRange(video.Count, floor, sent);
        Assert.Equal((640, 480), (video[0].Parameters.Width, video[0].Parameters.Height));
        Assert.True(changed > 0, "the new size never reached the track's parameters");
        Assert.True(video[changed].Frame.IsKeyframe, "the size changed on a frame that is not a keyframe");
        Assert.All(video.Skip(changed), f => Assert.Equal((320, 240), (f.Parameters.Width, f.Parameters.Height)));
        Assert.True(video.Count - changed >= 15, $"only {video.Count - changed} frames came after the change");

        var pictures = DecodeH264(video.Select(f => f.Frame));
        var firstSmall = pictures.IndexOf((320, 240));
        output.WriteLine($"{pictures.Count} pictures: {firstSmall} at 640x480, then {pictures.Count - firstSmall} at 320x240");
        Assert.InRange(pictures.Count, video.Count - 3, video.Count);
        Assert.All(pictures.Take(firstSmall), p => Assert.Equal((640, 480), p));
        Assert.All(pictures.Skip(firstSmall), p => Assert.Equal((320, 240), p));
        Assert.True(pictures.Count - firstSmall >= video.Count - changed - 2, "pictures of the new size are missing");
    }

    /// <summary>Cameras that run long wrap the 16-bit RTP sequence number (every few minutes) and the 32-bit timestamp
    /// (every 13 hours at 90 kHz); many start near the top. Here both wrap within the first second.</summary>
    [Fact]
    public async Task Plays_across_RTP_timestamp_and_sequence_wraps()
    {
        const uint firstTimestamp = uint.MaxValue - 90000 + 1; // wraps after 1 s
        const int firstSequence = 65536 - 60; // wraps after 60 packets
        await using var camera = await CameraProcess.StartAsync($"--frames {GstFrames} --timestamp-offset {firstTimestamp} --seqnum-offset {firstSequence}");
        var (enough, floor) = Expect("gstreamer", GstFrames);
        await using var playback = await PlayAsync(camera.Url, enough, Limit);

        Assert.Null(playback.RunError);
        var video = playback.Video.ToList();
        var track = playback.Client.Tracks[0];
        var timestamps = video.Select(f => f.Frame.RtpTimestamp).ToList();
        output.WriteLine($"{video.Count} frames, {track.PacketsReceived} packets, timestamps {timestamps[0]} … {timestamps[^1]}");
        Assert.InRange(video.Count, floor, GstFrames);
        Assert.True(track.PacketsReceived > 100, "too few packets for the sequence number to wrap");
        Assert.Contains(Enumerable.Range(1, timestamps.Count - 1), i => timestamps[i] < timestamps[i - 1]);
        Assert.All(Enumerable.Range(1, timestamps.Count - 1), i => Assert.InRange((int)(timestamps[i] - timestamps[i - 1]), 1, 2 * 90000 / Fps));
        Assert.Equal((0, 0), (track.PacketsLost, track.PacketsLate));

        var report = track.BuildReport()!.Value;
        Assert.Equal(1u, report.HighestSequence >> 16); // one cycle (RFC 3550 §6.4.1, A.1)
        Assert.True((report.HighestSequence & 0xffff) < firstSequence, $"highest sequence {report.HighestSequence:x8}");
        Assert.Equal(0, report.CumulativeLost);
        Assert.InRange(report.Jitter, 0u, 90000u / 10); // under 100 ms: the wrap is not a 2^32 jump in transit time
        Assert.All(video, f => Assert.InRange((f.WallClock - f.ArrivedAt).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(1)));

        var pictures = DecodeH264(video.Select(f => f.Frame));
        Assert.InRange(pictures.Count, video.Count - 2, video.Count);
    }

    /// <summary>The same wraps, with what our client says back: receiver reports count one sequence cycle and no loss,
    /// echo the last sender report, and the wall clock mapped from sender reports does not jump at the wrap.</summary>
    [Theory]
    [InlineData("udp")]
    [InlineData("tcp")]
    public async Task Receiver_reports_and_sender_report_clock_survive_RTP_wraps(string transport)
    {
        var track = FakeTrack.H264(media.Vga, Fps) with { FirstTimestamp = uint.MaxValue - 45000 + 1, FirstSequence = 65536 - 40 };
        var cameraClock = TimeSpan.FromHours(1); // its clock is an hour off: a wall clock from arrival would show it
        // SRs at 0 s and 1 s: the frames between the wrap (0.5 s) and 1 s are mapped through an SR from before the wrap.
        await using var camera = FakeRtspCamera.Start(new FakeCameraScript { Tracks = [track], SenderReportInterval = TimeSpan.FromSeconds(1), ClockOffset = cameraClock });
        await using var playback = await PlayAsync($"{camera.Url}#transport={transport}", media.Vga.Count, Limit);

        Assert.Null(playback.RunError);
        var video = playback.Video;
        Assert.Equal(media.Vga.Count, video.Count);
        var reports = camera.ReceiverReports.Where(r => r.Source == track.Ssrc).ToList();
        Assert.NotEmpty(reports);
        var rr = reports[^1];
        output.WriteLine($"over {transport}: RR highest {rr.ExtendedHighestSequence:x8}, lost {rr.CumulativeLost}, LSR {rr.LastSenderReport:x8}, DLSR {rr.DelaySinceLastSenderReport / 65536.0:0.000} s");
        Assert.Equal(1u, rr.ExtendedHighestSequence >> 16);
        Assert.InRange(rr.ExtendedHighestSequence & 0xffff, 0u, (uint)camera.PacketsSent);
        Assert.Equal(0, rr.CumulativeLost);
        var echoed = Assert.Single(camera.SenderReportsSent, sr => (uint)(sr.Ntp >> 16) == rr.LastSenderReport);
        // The round trip a camera computes from it (RFC 3550 §6.4.1: arrival − LSR − DLSR) is about nothing on loopback.
        var roundTrip = rr.ReceivedAt - echoed.SentAt - TimeSpan.FromSeconds(rr.DelaySinceLastSenderReport / 65536.0);
        output.WriteLine($"round trip from the report: {roundTrip.TotalMilliseconds:0.0} ms");
        Assert.InRange(roundTrip, TimeSpan.FromMilliseconds(-5), TimeSpan.FromMilliseconds(100));

        // Each frame's wall clock is the camera's clock at the frame's RTP time (its SRs map RTP time to NTP), before
        // and after the timestamp wrap.
        var cameraTime = camera.UnitsSent.ToDictionary(u => u.RtpTimestamp, u => u.CameraTime);
        Assert.All(video, f => Assert.InRange((f.WallClock - cameraTime[f.Frame.RtpTimestamp]).Duration(), TimeSpan.Zero, TimeSpan.FromMilliseconds(2)));
    }

    /// <summary>Some cameras never send RTCP sender reports: frames must flow at once with the arrival time as their wall
    /// clock, and receiver reports go out anyway (with no SR to echo).</summary>
    [Fact]
    public async Task Plays_without_RTCP_sender_reports()
    {
        var track = FakeTrack.H264(media.Vga, Fps);
        await using var camera = FakeRtspCamera.Start(new FakeCameraScript { Tracks = [track], SenderReports = false });
        await using var playback = await PlayAsync(camera.Url, media.Vga.Count, Limit);

        Assert.Empty(camera.SenderReportsSent);
        Assert.Null(playback.RunError);
        var video = playback.Video;
        Assert.Equal(media.Vga.Count, video.Count);
        var firstFrameAfter = video[0].ArrivedAt - camera.UnitsSent[0].SentAt;
        output.WriteLine($"first frame {firstFrameAfter.TotalMilliseconds:0} ms after the camera sent it");
        Assert.True(firstFrameAfter < TimeSpan.FromMilliseconds(500), $"the first frame came {firstFrameAfter.TotalMilliseconds:0} ms after it was sent");
        Assert.All(video, f => Assert.InRange((f.WallClock - f.ArrivedAt).Duration(), TimeSpan.Zero, TimeSpan.FromMilliseconds(50)));
        var reports = camera.ReceiverReports.Where(r => r.Source == track.Ssrc).ToList();
        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.Equal((0u, 0u, 0), (r.LastSenderReport, r.DelaySinceLastSenderReport, r.CumulativeLost)));
    }

    /// <summary>Many cameras put an access-unit delimiter in front of every access unit and SEI (picture timing,
    /// buffering period) in it; GStreamer sends them as NAL units of their own, the fake aggregates them in STAP-A.</summary>
    [Theory]
    [InlineData("gstreamer")]
    [InlineData("fake")]
    public async Task Plays_with_access_unit_delimiters_and_SEI(string kind)
    {
        var script = FakeTrack.H264(media.VgaWithSei, Fps, aggregate: true);
        if (kind == "fake")
        {
            Assert.All(media.VgaWithSei, u => Assert.Equal(9, u.Nals[0][0] & 0x1f));
            Assert.All(media.VgaWithSei, u => Assert.Contains(u.Nals, n => (n[0] & 0x1f) == 6));
            Assert.All(script.Units, u => Assert.Equal(24, u.Payloads[0][0] & 0x1f)); // STAP-A: AUD, SEI … together
        }
        await using var gstreamer = kind == "gstreamer" ? await CameraProcess.StartAsync($"--frames {GstFrames} --sei") : null;
        await using var fake = kind == "fake" ? FakeRtspCamera.Start(new FakeCameraScript { Tracks = [script], Pace = 2 }) : null;
        var sent = kind == "fake" ? media.VgaWithSei.Count : GstFrames;
        var (enough, floor) = Expect(kind, sent);
        await using var playback = await PlayAsync(gstreamer?.Url ?? fake!.Url, enough, Limit);

        Assert.Null(playback.RunError);
        var video = playback.Video;
        output.WriteLine($"{kind}: {video.Count} frames of {sent}; NAL units of the first two: {string.Join(" | ", video.Take(2).Select(f => string.Join(",", NalTypes(f.Frame))))}");
        Assert.InRange(video.Count, floor, sent);
        Assert.All(video, f => Assert.Single(NalTypes(f.Frame), t => t is 1 or 5));
        Assert.True(video.Count(f => NalTypes(f.Frame).Contains(6)) >= video.Count - 1, "SEI did not reach the frames");
        Assert.True(playback.Client.Tracks[0].KeyframesReceived >= 2);
        var pictures = DecodeH264(video.Select(f => f.Frame));
        Assert.InRange(pictures.Count, video.Count - 2, video.Count);
        Assert.All(pictures, p => Assert.Equal((640, 480), p));
    }

    /// <summary>Many cameras cut each picture into several slices (x264 <c>slices=4</c>): big slices arrive as FU-A
    /// fragments, small ones as single NAL unit packets, all with the picture's timestamp.</summary>
    [Theory]
    [InlineData("gstreamer")]
    [InlineData("fake")]
    public async Task Assembles_multi_slice_pictures_into_one_frame(string kind)
    {
        var script = FakeTrack.H264(media.VgaSliced, Fps, aggregate: false);
        if (kind == "fake")
        {
            var packetTypes = script.Units.SelectMany(u => u.Payloads).Select(p => p[0] & 0x1f).ToHashSet();
            Assert.Contains(28, packetTypes); // FU-A
            Assert.Contains(1, packetTypes); // a whole slice in one packet
        }
        await using var gstreamer = kind == "gstreamer" ? await CameraProcess.StartAsync($"--frames {GstFrames} --slices 4") : null;
        await using var fake = kind == "fake" ? FakeRtspCamera.Start(new FakeCameraScript { Tracks = [script], Pace = 2 }) : null;
        var sent = kind == "fake" ? media.VgaSliced.Count : GstFrames;
        var (enough, floor) = Expect(kind, sent);
        await using var playback = await PlayAsync(gstreamer?.Url ?? fake!.Url, enough, Limit);

        Assert.Null(playback.RunError);
        var video = playback.Video;
        var track = playback.Client.Tracks[0];
        output.WriteLine($"{kind}: {video.Count} frames of {sent}, {track.PacketsReceived} packets, {track.PacketsLost} lost, {track.Depacketizer.TotalDropped} dropped; frame timestamps {string.Join(",", video.Take(6).Select(f => f.Frame.RtpTimestamp - video[0].Frame.RtpTimestamp))}");
        Assert.InRange(video.Count, floor, sent);
        Assert.All(video, f => Assert.Equal(4, NalTypes(f.Frame).Count(t => t is 1 or 5)));
        Assert.All(video.Where(f => f.Frame.IsKeyframe), f => Assert.DoesNotContain(1, NalTypes(f.Frame)));
        Assert.True(playback.Client.Tracks[0].KeyframesReceived >= 2);
        var pictures = DecodeH264(video.Select(f => f.Frame));
        Assert.InRange(pictures.Count, video.Count - 2, video.Count);
        Assert.All(pictures, p => Assert.Equal((640, 480), p));
    }

    /// <summary>Some cameras give video and audio the same dynamic payload type (96 on both m-lines), each with its own
    /// control URL and SSRC: the tracks must be told apart by channel or port, never by payload type.</summary>
    [Theory]
    [InlineData("udp")]
    [InlineData("tcp")]
    public async Task Plays_two_tracks_that_share_one_payload_type(string transport)
    {
        var video = FakeTrack.H264(media.Vga, Fps, payloadType: 96);
        var audio = FakeTrack.Aac(media.Aac, media.AacConfig, QuirkMedia.AacRate, payloadType: 96);
        await using var camera = FakeRtspCamera.Start(new FakeCameraScript { Tracks = [video, audio], Pace = 2 });
        await using var playback = await PlayAsync($"{camera.Url}#transport={transport}", int.MaxValue, Limit, quietAfter: TimeSpan.FromMilliseconds(500));

        Assert.Null(playback.RunError);
        var tracks = playback.Client.Tracks;
        Assert.Equal([(MediaCodec.H264, 96), (MediaCodec.AAC, 96)], tracks.Select(t => (t.Codec, t.PayloadType)));
        Assert.Equal([video.Ssrc, audio.Ssrc], tracks.Select(t => t.RemoteSsrc ?? 0));
        Assert.All(tracks, t => Assert.Equal(0, t.PacketsMalformed));
        output.WriteLine($"over {transport}: {playback.Video.Count} video frames, {playback.Audio.Count} audio frames");
        Assert.Equal(media.Vga.Select(u => new H264Unit([.. u.Nals.Where(n => (n[0] & 0x1f) != 9)]).LengthPrefixed()), playback.Video.Select(f => f.Frame.Data));
        Assert.Equal(media.Aac, playback.Audio.Select(f => f.Frame.Data));
        Assert.Equal(QuirkMedia.AacRate, tracks[1].Parameters.SampleRate);
    }
}
