using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Sightline.Codecs;
using Sightline.Rtp.Framing;
using Sightline.Rtp.Packetization;
using Sightline.Rtsp.Client;

namespace Sightline.Media.Ingest;

/// <summary>Settings of one session with a file or HTTP(S) camera.</summary>
public sealed record MediaInputSessionOptions
{
    /// <summary>The camera URI as given (credentials included); shown masked.</summary>
    public required string Uri { get; init; }
    /// <summary>What libavformat opens: <c>file:/real/path</c> or the http(s) URL.</summary>
    public required string Url { get; init; }
    /// <summary>Longest time to connect, receive the first bytes and read the stream info. Defaults to 10 s.</summary>
    public TimeSpan OpenTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>No packet for this long while playing = stalled. Defaults to 5 s.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Release packets at the pace of their timestamps (the default); false reads as fast as the input allows.</summary>
    public bool RealTime { get; init; } = true;
}

/// <summary>
/// One session with a camera that is a media file (<c>file://</c>) or an HTTP(S) stream (MPEG-TS, FLV, fragmented MP4,
/// HLS, MJPEG as <c>multipart/x-mixed-replace</c>), read through libavformat. Packets become frames shaped as the RTP
/// path makes them (<see cref="ContainerFramer"/>), timed by a <see cref="MediaTimeline"/>: a file plays at its own pace
/// and loops at its end with timestamps that keep increasing (and a keyframe first); a live stream that ends or breaks
/// ends the session, and <see cref="ReconnectingCamera"/> starts another with its backoff. One thread reads (blocking
/// in FFmpeg, bounded by deadlines); cancelling interrupts it.
/// </summary>
public sealed class MediaInputSession : ICameraSession
{
    /// <summary>What a file camera's container may be: FFmpeg probes anything (a text file reads as a "tty" picture).</summary>
    public const string FileFormats = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,mpegts,flv,avi,h264,hevc,mjpeg,mpjpeg,ivf,ogg,wav";
    /// <summary>What an HTTP camera's stream may be: the file formats plus HLS (whose segments are read over HTTP too).</summary>
    public const string HttpFormats = FileFormats + ",hls,aac,mp3";

    private readonly MediaInputSessionOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<InputTrack> _tracks = [];
    private readonly List<string> _skipped = [];
    private InputTrack?[] _byStream = [];
    private MediaInput? _input;
    private Task? _opening;
    private Task? _reading;
    private readonly string _scheme;
    private long _startTicks;

    public MediaInputSession(MediaInputSessionOptions options, ILogger logger, TimeProvider? time = null)
    {
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        var colon = options.Uri.IndexOf(':');
        _scheme = colon < 0 ? "" : options.Uri[..colon].ToLowerInvariant();
        Transport = _scheme.ToUpperInvariant();
    }

    public IReadOnlyList<ICameraTrack> Tracks => _tracks;
    /// <summary>The tracks with their figures (frames, keyframes, bytes).</summary>
    public IReadOnlyList<InputTrack> InputTracks => _tracks;
    public IReadOnlyList<string> SkippedTracks => _skipped;
    public string Transport { get; }
    public string DisplayUri => RtspClient.Mask(_options.Uri);
    /// <summary>The container as libavformat opened it (format, duration, seekable); null before <see cref="StartAsync"/>.</summary>
    public MediaInputInfo? Info { get; private set; }
    /// <summary>Times the file was played again from its start.</summary>
    public int Loops { get; private set; }
    /// <summary>True when the input is a file that loops at its end (seekable with a known duration).</summary>
    public bool PlaysInLoop => Info is { Seekable: true, Duration: not null };

    public event Action<ICameraTrack, EncodedFrame, DateTimeOffset>? FrameReceived;

    /// <summary>The libavformat options for a camera URI's scheme: deadlines, what may be read, TLS, reconnects.</summary>
    public static Dictionary<string, string> OptionsFor(string scheme, TimeSpan stallTimeout)
    {
        var options = new Dictionary<string, string>
        {
            // Every socket read or write fails after this (the interrupt callback bounds whole calls too).
            ["rw_timeout"] = ((long)stallTimeout.TotalMicroseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Stream info from at most 1 s of media: a live stream starts playing within about a second.
            ["analyzeduration"] = "1000000",
            ["probesize"] = "2000000",
        };
        if (scheme == "file")
        {
            // Only the file itself: no playlist or reference that could make FFmpeg open other files or URLs.
            options["protocol_whitelist"] = "file";
            options["format_whitelist"] = FileFormats;
            return options;
        }
        options["protocol_whitelist"] = "http,https,tcp,tls,crypto,httpproxy";
        options["format_whitelist"] = HttpFormats;
        options["user_agent"] = "Sightline";
        // A resource served with ranges (a file over HTTP, an HLS segment) resumes where it broke; a live stream that
        // ends or breaks ends the session instead, so the camera's state shows it and the backoff applies.
        options["reconnect"] = "1";
        options["reconnect_on_network_error"] = "1";
        options["reconnect_delay_max"] = "2";
        // Cameras use self-signed certificates: https:// gives privacy on the wire, not identity (as rtsps://, VLC, ffmpeg).
        if (scheme == "https") options["tls_verify"] = "0";
        return options;
    }

    public async Task StartAsync(CancellationToken cancel)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, _stop.Token);
        if (_scheme is "http" or "https") await ResolveHostAsync(linked.Token);
        try
        {
            _input = new MediaInput();
        }
        catch (CodecException e)
        {
            throw new RtspException(RtspFailure.UnreadableMedia, e.Message, e);
        }
        var input = _input;
        using (linked.Token.Register(input.Interrupt))
        {
            // The open blocks in FFmpeg for up to the deadline: on its own thread, not the pool's.
            _opening = Task.Factory.StartNew(
                () => input.Open(_options.Url, OptionsFor(_scheme, _options.StallTimeout), _options.OpenTimeout),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            try
            {
                await _opening;
            }
            catch (MediaInputException e) when (e.Failure == MediaInputFailure.Cancelled)
            {
                throw new OperationCanceledException(linked.Token);
            }
            catch (MediaInputException e)
            {
                throw Failure(e, opening: true);
            }
        }
        Info = input.Info;
        BuildTracks(input);
        Log.Playing(_logger, DisplayUri, Info.Format, string.Join(", ", _tracks.Select(t => $"{t.Codec} ({t.Stream.Codec})")),
            PlaysInLoop ? $"a {Info.Duration!.Value.TotalSeconds:0.###} s file played in a loop" : "live");
    }

    public async Task RunAsync(CancellationToken cancel)
    {
        var input = _input ?? throw new InvalidOperationException("not started");
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, _stop.Token);
        var token = linked.Token;
        using (token.Register(input.Interrupt))
        {
            _reading = Task.Factory.StartNew(() => Read(input, token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await _reading;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _input?.Interrupt();
        foreach (var task in new[] { _opening, _reading })
        {
            if (task is null) continue;
            try
            {
                await task;
            }
            catch (Exception e) when (e is MediaInputException or RtspException or OperationCanceledException)
            {
                // Already reported by StartAsync or RunAsync.
            }
        }
        _input?.Dispose();
        _input = null;
        _stop.Dispose();
    }

    private async Task ResolveHostAsync(CancellationToken token)
    {
        // FFmpeg says only "Input/output error" for a name that does not resolve: resolve it first to say so.
        if (!System.Uri.TryCreate(_options.Uri, UriKind.Absolute, out var uri))
        {
            throw new RtspException(RtspFailure.ProtocolError, $"'{DisplayUri}' is not a valid URL");
        }
        var host = uri.DnsSafeHost;
        if (IPAddress.TryParse(host, out _)) return;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(_options.OpenTimeout);
            if ((await Dns.GetHostAddressesAsync(host, timeout.Token)).Length == 0) throw new SocketException((int)SocketError.HostNotFound);
        }
        catch (SocketException e)
        {
            throw new RtspException(RtspFailure.HostUnreachable, $"cannot resolve the camera's host name '{host}'", e);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            throw new RtspException(RtspFailure.HostUnreachable, $"cannot resolve the camera's host name '{host}' within {_options.OpenTimeout.TotalSeconds:0.#} s");
        }
    }

    private void BuildTracks(MediaInput input)
    {
        _byStream = new InputTrack?[input.Streams.Count];
        foreach (var stream in input.Streams)
        {
            if (stream.Kind == MediaKind.Other) continue;
            if (InputTrack.CodecOf(stream.Codec) is not { } codec)
            {
                _skipped.Add($"{(stream.Kind == MediaKind.Video ? "video" : "audio")} {stream.Codec}");
                continue;
            }
            var described = stream.Kind == MediaKind.Video
                ? new CodecParameters { Width = Positive(stream.Width), Height = Positive(stream.Height), FrameRate = stream.FrameRate }
                : new CodecParameters { SampleRate = Positive(stream.SampleRate), Channels = Positive(stream.Channels) };
            var track = new InputTrack(_tracks.Count, stream, ContainerFramer.Create(codec, stream.Extradata, described));
            _tracks.Add(track);
            _byStream[stream.Index] = track;
        }
        if (_tracks.Count == 0)
        {
            var offered = _skipped.Count == 0 ? "no audio or video" : string.Join(", ", _skipped);
            throw new RtspException(RtspFailure.UnsupportedCodec, $"the camera offers no supported codec ({offered}); Sightline takes H.264, H.265, VP8, MJPEG, AAC, G.711 and Opus");
        }

        static int? Positive(int value) => value > 0 ? value : null;
    }

    // The reading thread: packets → timeline → frames, until cancelled (returns) or the input fails or ends (throws).
    private void Read(MediaInput input, CancellationToken token)
    {
        var info = input.Info;
        var timeline = new MediaTimeline((long)info.Start.TotalMicroseconds);
        var units = new List<FramedUnit>();
        long framesThisLoop = 0;
        _startTicks = _time.GetTimestamp();
        try
        {
            while (!token.IsCancellationRequested)
            {
                if (!input.TryRead(_options.StallTimeout, out var packet))
                {
                    if (!PlaysInLoop) throw new RtspException(RtspFailure.ConnectionLost, "the stream ended");
                    // A file that yields no frame would loop forever without playing: that is no camera.
                    if (framesThisLoop == 0) throw new RtspException(RtspFailure.NoData, "the file has no frames to play");
                    input.Rewind(_options.OpenTimeout);
                    timeline.Restart((long)info.Start.TotalMicroseconds);
                    foreach (var t in _tracks) t.AwaitingKeyframe = t.IsVideo;
                    framesThisLoop = 0;
                    Loops++;
                    Log.Looped(_logger, DisplayUri, Loops);
                    continue;
                }
                if (packet.Stream >= _byStream.Length || _byStream[packet.Stream] is not { } track) continue;
                track.PacketsRead++;

                var presentation = Time(track, packet, timeline, out var decode);
                if (_options.RealTime && info.HasTimestamps)
                {
                    var wait = timeline.Delay(decode, NowUs());
                    if (wait > 0 && token.WaitHandle.WaitOne(TimeSpan.FromMicroseconds(wait))) break;
                }

                units.Clear();
                if (!track.Framer.TryFrame(packet.Data, units)) continue;
                var now = _time.GetUtcNow();
                foreach (var unit in units)
                {
                    if (track.AwaitingKeyframe)
                    {
                        if (!unit.Keyframe)
                        {
                            track.SkippedBeforeKeyframe++;
                            continue;
                        }
                        track.AwaitingKeyframe = false;
                    }
                    var timestamp = unchecked((uint)AudioContinuity(track, ToClock(presentation, track.ClockRate) + unit.Offset, unit.Data));
                    track.FramesReceived++;
                    track.BytesReceived += unit.Data.Length;
                    if (unit.Keyframe && track.IsVideo) track.KeyframesReceived++;
                    framesThisLoop++;
                    FrameReceived?.Invoke(track, new EncodedFrame { Codec = track.Codec, Data = unit.Data, RtpTimestamp = timestamp, IsKeyframe = unit.Keyframe }, now);
                }
            }
        }
        catch (MediaInputException e) when (e.Failure == MediaInputFailure.Cancelled || token.IsCancellationRequested)
        {
            // Stopped.
        }
        catch (MediaInputException e)
        {
            throw Failure(e, opening: false);
        }
    }

    // An audio frame that starts within half a frame of where the last one ended starts exactly there: the container's
    // rounded timestamps (Matroska's milliseconds) would otherwise jitter by up to a millisecond. A real gap resyncs.
    private static long AudioContinuity(InputTrack track, long timestamp, byte[] frame)
    {
        if (track.IsVideo) return timestamp;
        var samples = track.Framer.Samples(frame);
        if (track.NextAudioTimestamp is { } next && samples > 0 && Math.Abs(timestamp - next) <= samples / 2) timestamp = next;
        track.NextAudioTimestamp = samples > 0 ? timestamp + samples : null;
        return timestamp;
    }

    // The packet's media presentation time (microseconds); its decode time for pacing. A container without timestamps
    // (MJPEG over HTTP) is timed by arrival.
    private long Time(InputTrack track, in MediaPacket packet, MediaTimeline timeline, out long decode)
    {
        var s = track.Stream;
        if (!packet.Pts.HasValue && !packet.Dts.HasValue || !Info!.HasTimestamps || s.TimeBaseDen <= 0)
        {
            var arrival = NowUs();
            return timeline.Place(arrival, arrival, null, out decode);
        }
        var pts = ToMicroseconds(packet.Pts ?? packet.Dts!.Value, s.TimeBaseNum, s.TimeBaseDen);
        var dts = ToMicroseconds(packet.Dts ?? packet.Pts!.Value, s.TimeBaseNum, s.TimeBaseDen);
        long? duration = packet.Duration is { } d ? ToMicroseconds(d, s.TimeBaseNum, s.TimeBaseDen) : null;
        return timeline.Place(dts, pts, duration, out decode);
    }

    private long NowUs() => (long)_time.GetElapsedTime(_startTicks).TotalMicroseconds;

    // Rounded both ways, so a 90 kHz (or sample-rate) timestamp comes back exactly.
    internal static long ToMicroseconds(long value, int num, int den) => (long)(((Int128)value * num * 1_000_000 + den / 2) / den);

    internal static long ToClock(long microseconds, int clockRate) =>
        (long)(((Int128)microseconds * clockRate + (microseconds >= 0 ? 500_000 : -500_000)) / 1_000_000);

    private RtspException Failure(MediaInputException e, bool opening)
    {
        var where = _scheme == "file" ? "the file" : "the camera";
        var detail = e.Detail is { Length: > 0 } d ? $" ({d})" : "";
        return e.Failure switch
        {
            MediaInputFailure.Timeout when opening => new RtspException(RtspFailure.Timeout, $"no answer from {where} within {_options.OpenTimeout.TotalSeconds:0.#} s", e),
            MediaInputFailure.Timeout => new RtspException(RtspFailure.NoData, $"no media from {where} for {_options.StallTimeout.TotalSeconds:0.#} s", e),
            MediaInputFailure.ConnectionRefused => new RtspException(RtspFailure.ConnectionRefused, $"the camera at {Authority()} refused the connection (nothing listens on that port)", e),
            MediaInputFailure.HostUnreachable => new RtspException(RtspFailure.HostUnreachable, $"cannot reach the camera at {Authority()}{detail}", e),
            MediaInputFailure.NotFound when _scheme == "file" => new RtspException(RtspFailure.NotFound, "no such file", e),
            MediaInputFailure.NotFound => new RtspException(RtspFailure.NotFound, "the server has no stream at this path (HTTP 404)", e),
            MediaInputFailure.Unauthorized => new RtspException(RtspFailure.AuthenticationFailed, $"the server refused access (HTTP 401/403): wrong or missing user name and password in the URI{detail}", e),
            MediaInputFailure.HttpError => new RtspException(RtspFailure.RequestRejected, $"the server answered with an HTTP error{detail}", e),
            MediaInputFailure.InvalidData => new RtspException(RtspFailure.UnreadableMedia, $"{where} is not a media stream Sightline can read{detail}", e),
            MediaInputFailure.AccessDenied => new RtspException(RtspFailure.UnreadableMedia, $"{where} cannot be read (permission denied)", e),
            MediaInputFailure.Invalid when e.Detail?.Contains("whitelist", StringComparison.Ordinal) == true
                => new RtspException(RtspFailure.UnreadableMedia, $"{where} is not in a format a camera may be (MP4, MKV, WebM, MPEG-TS, FLV, HLS, MJPEG…)", e),
            _ when _scheme == "https" && opening && LooksLikeTls(e.Detail) => new RtspException(RtspFailure.TlsFailed, $"TLS with the camera failed{detail}", e),
            _ when opening => new RtspException(RtspFailure.ProtocolError, $"cannot open {where}: {e.Message}", e),
            // FFmpeg reports the end of a live HTTP body as an I/O error ("Stream ends prematurely"): the stream ended.
            _ when e.Detail?.Contains("ends prematurely", StringComparison.Ordinal) == true => new RtspException(RtspFailure.ConnectionLost, "the stream ended", e),
            _ when _scheme != "file" => new RtspException(RtspFailure.ConnectionLost, $"the stream ended or the connection broke ({e.Message})", e),
            _ => new RtspException(RtspFailure.ConnectionLost, $"reading the file failed ({e.Message})", e),
        };
    }

    private static bool LooksLikeTls(string? detail) =>
        detail is not null && (detail.Contains("TLS", StringComparison.OrdinalIgnoreCase) || detail.Contains("SSL", StringComparison.OrdinalIgnoreCase)
            || detail.Contains("handshake", StringComparison.OrdinalIgnoreCase) || detail.Contains("certificate", StringComparison.OrdinalIgnoreCase)
            || detail.Contains("pull function", StringComparison.OrdinalIgnoreCase));

    private string Authority() => System.Uri.TryCreate(_options.Uri, UriKind.Absolute, out var u) ? $"{u.DnsSafeHost}:{u.Port}" : DisplayUri;
}
