using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Sightline.Media.Ingest;
using Sightline.Rtp.Packetization;
using Sightline.Rtsp.Client;

namespace Sightline.Server.Cli;

/// <summary>
/// <c>sightline probe &lt;camera URI&gt; [--seconds N] [--transport auto|tcp|udp]</c>: connects like the server would
/// (<c>rtsp://</c>, <c>rtsps://</c>, <c>http://</c>, <c>https://</c>, <c>file://</c>) and prints what the camera sends
/// (tracks, codecs, size, frame rate, bitrate, keyframe interval, time to first keyframe), or what went wrong, in plain
/// words. Exit code 0 when frames arrived, 1 otherwise. A <c>file://</c> URI may name any file the user can read: the
/// server's folder rule (<c>SIGHTLINE_CAMERA_FILES_DIR</c>) guards its API, not a local command.
/// </summary>
public static class ProbeCommand
{
    private const string Usage = "usage: sightline probe <rtsp://user:password@host:port/path | http(s)://… | file:///path> [--seconds N] [--transport auto|tcp|udp]";

    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancel)
    {
        string? uri = null;
        var seconds = 5.0;
        var transport = RtspTransport.Auto;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seconds" when i + 1 < args.Length && double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0:
                    seconds = s;
                    i++;
                    break;
                case "--transport" when i + 1 < args.Length && Enum.TryParse<RtspTransport>(args[i + 1], true, out var t):
                    transport = t;
                    i++;
                    break;
                default:
                    if (args[i].StartsWith("--", StringComparison.Ordinal) || uri is not null)
                    {
                        await output.WriteLineAsync($"unknown argument '{args[i]}'");
                        await output.WriteLineAsync(Usage);
                        return 2;
                    }
                    uri = args[i];
                    break;
            }
        }
        if (uri is null)
        {
            await output.WriteLineAsync(Usage);
            return 2;
        }

        await output.WriteLineAsync($"Probing {RtspClient.Mask(uri)} for {seconds:0.#} s ...");
        var clock = Stopwatch.StartNew();
        var stats = new Dictionary<int, TrackStats>();
        await using var client = CameraSessions.Session(uri, CameraFiles.Anywhere, NullLogger.Instance, transport: transport);
        client.FrameReceived += (track, frame, _) =>
        {
            lock (stats)
            {
                if (!stats.TryGetValue(track.Index, out var s)) stats[track.Index] = s = new TrackStats();
                s.Add(frame, clock.Elapsed);
            }
        };
        try
        {
            await client.StartAsync(cancel);
            var connected = clock.Elapsed;
            await output.WriteLineAsync(client switch
            {
                RtspClient rtsp => $"Connected and playing in {connected.TotalMilliseconds:0} ms over {rtsp.Transport}" + (rtsp.ServerName is { } server ? $" (server: {server})" : ""),
                MediaInputSession input => $"Opened and playing in {connected.TotalMilliseconds:0} ms over {input.Transport}: {Container(input.Info!)}",
                _ => $"Playing in {connected.TotalMilliseconds:0} ms over {client.Transport}",
            });
            using var window = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            window.CancelAfter(TimeSpan.FromSeconds(seconds));
            await client.RunAsync(window.Token);
        }
        catch (RtspException e)
        {
            await output.WriteLineAsync($"Error ({e.Failure}): {e.Message}");
            if (client.Tracks.Count == 0) return 1;
        }

        foreach (var skipped in client.SkippedTracks)
        {
            await output.WriteLineAsync($"Track (ignored): {skipped} — not a codec Sightline takes");
        }
        var anyFrames = false;
        foreach (var track in client.Tracks)
        {
            TrackStats? s;
            lock (stats) stats.TryGetValue(track.Index, out s);
            anyFrames |= s is { Frames: > 0 };
            await output.WriteLineAsync(Describe(track, s));
        }
        if (!anyFrames) await output.WriteLineAsync("No frames arrived: the camera accepted the session but sent no media.");
        return anyFrames ? 0 : 1;
    }

    private static string Container(Sightline.Codecs.MediaInputInfo info) =>
        $"{info.Format}, " + (info is { Seekable: true, Duration: { } d } ? $"a {d.TotalSeconds:0.###} s file, played in a loop" : "a live stream")
        + (info.HasTimestamps ? "" : " without timestamps (frames timed as they arrive)")
        + (info.BitRate >= 1000 ? $", {info.BitRate / 1000} kb/s" : "");

    private static string Describe(ICameraTrack track, TrackStats? s)
    {
        var p = track.Parameters;
        var carried = track switch
        {
            RtspTrack rtsp => $"payload type {rtsp.PayloadType}, ",
            InputTrack input => $"FFmpeg codec {input.Stream.Codec}, ",
            _ => "",
        };
        var lines = new List<string> { $"Track {track.Index}: {(track.IsVideo ? "video" : "audio")} {Name(track.Codec)} ({carried}clock {track.ClockRate} Hz)" };
        if (track.IsVideo)
        {
            lines.Add($"  resolution:     {(p.Width is { } w && p.Height is { } h ? $"{w}x{h}" : "unknown")}");
            if (p.Profile is not null) lines.Add($"  profile:        {p.Profile}{(p.ProfileLevelId is { } pli ? $" (profile-level-id {pli})" : "")}");
            if (p.Reordering is { } reordering) lines.Add($"  B-frames:       {Describe(reordering)}");
        }
        else
        {
            lines.Add($"  audio:          {p.SampleRate} Hz, {p.Channels} channel(s){(p.Profile is { } prof ? $", {prof}" : "")}");
        }
        if (s is null || s.Frames == 0)
        {
            lines.Add("  frames:         none received");
            return string.Join(Environment.NewLine, lines);
        }
        var duration = s.LastTimestamp - s.FirstTimestamp;
        var seconds = duration / (double)track.ClockRate;
        var rate = seconds > 0 ? (s.Frames - 1) / seconds : 0;
        var bitrate = seconds > 0 ? s.Bytes * 8 / seconds / 1000 : 0;
        lines.Add($"  frames:         {s.Frames} ({rate:0.##} per second)");
        lines.Add($"  bitrate:        {bitrate:0} kb/s");
        if (track.IsVideo)
        {
            lines.Add($"  keyframes:      {s.Keyframes}" + (s.KeyframeIntervals.Count > 0
                ? $", every {s.KeyframeIntervals.Average():0.#} frames ({s.KeyframeIntervals.Average() / Math.Max(rate, 1e-9):0.##} s)"
                : ""));
            lines.Add($"  first keyframe: {(s.FirstKeyframeAt is { } k ? $"{k.TotalMilliseconds:0} ms after start" : "not seen")}");
        }
        if (track is RtspTrack r)
        {
            lines.Add($"  packets:        {r.PacketsReceived} received, {r.PacketsLost} lost, {r.PacketsMalformed} malformed, {r.Depacketizer.TotalDropped} dropped by the depacketizer");
        }
        else if (track is InputTrack t)
        {
            lines.Add($"  packets:        {t.PacketsRead} read, {t.Framer.TotalDropped} malformed" + (t.IsVideo ? $", {t.SkippedBeforeKeyframe} frames before the first keyframe" : ""));
        }
        return string.Join(Environment.NewLine, lines);
    }

    // WebRTC receivers assume frames come in display order, so a reordering stream is not passed through to browsers.
    private static string Describe(Rtp.Codecs.FrameReordering r) => r switch
    {
        { Reorders: true } => $"yes ({r.Reason}, {r.Depth} frame(s) held back); browsers get a re-encoded version",
        { Certain: true } => $"no ({r.Reason})",
        _ => $"none seen ({r.Reason})",
    };

    private static string Name(MediaCodec codec) => codec switch
    {
        MediaCodec.H264 => "H.264",
        MediaCodec.H265 => "H.265",
        MediaCodec.PCMU => "G.711 µ-law (PCMU)",
        MediaCodec.PCMA => "G.711 A-law (PCMA)",
        _ => codec.ToString(),
    };

    private sealed class TrackStats
    {
        private long _sinceKeyframe = -1;
        private long _extended;
        private uint _last;

        public long Frames { get; private set; }
        public long Bytes { get; private set; }
        public long Keyframes { get; private set; }
        // Smallest and largest presentation time: with B-frames the last frame decoded is not the last one shown.
        public long FirstTimestamp { get; private set; }
        /// <summary>The latest presentation time seen (B-frames arrive out of presentation order).</summary>
        public long LastTimestamp { get; private set; }
        public TimeSpan? FirstKeyframeAt { get; private set; }
        public List<long> KeyframeIntervals { get; } = [];

        public void Add(EncodedFrame frame, TimeSpan at)
        {
            if (Frames == 0)
            {
                _extended = frame.RtpTimestamp;
            }
            else
            {
                _extended += (int)(frame.RtpTimestamp - _last);
            }
            if (Frames == 0 || _extended < FirstTimestamp) FirstTimestamp = _extended;
            if (Frames == 0 || _extended > LastTimestamp) LastTimestamp = _extended;
            _last = frame.RtpTimestamp;
            LastTimestamp = Math.Max(LastTimestamp, _extended);
            Frames++;
            Bytes += frame.Data.Length;
            if (_sinceKeyframe >= 0) _sinceKeyframe++;
            if (frame.IsKeyframe)
            {
                Keyframes++;
                FirstKeyframeAt ??= at;
                if (_sinceKeyframe > 0) KeyframeIntervals.Add(_sinceKeyframe);
                _sinceKeyframe = 0;
            }
        }
    }
}
