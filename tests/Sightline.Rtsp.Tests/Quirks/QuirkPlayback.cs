using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Sightline.Codecs;
using Sightline.Rtp.Codecs;
using Sightline.Rtp.Packetization;
using Sightline.Rtsp.Client;

namespace Sightline.Rtsp.Tests.Quirks;

/// <summary>A frame as a user of <see cref="RtspClient"/> got it: the track's parameters at that moment, and when.</summary>
public sealed record ReceivedFrame(RtspTrack Track, EncodedFrame Frame, DateTimeOffset WallClock, DateTimeOffset ArrivedAt, CodecParameters Parameters);

/// <summary>
/// Plays a camera with our <see cref="RtspClient"/> as the server does (StartAsync, then RunAsync) and keeps every frame,
/// until enough came, the stream went quiet after it started, or a time limit.
/// </summary>
public sealed class QuirkPlayback : IAsyncDisposable
{
    private readonly List<ReceivedFrame> _frames = [];

    private QuirkPlayback(RtspClient client) => Client = client;

    public RtspClient Client { get; }
    /// <summary>What ended RunAsync other than our own stop (a stall, a lost connection); null when it ran until stopped.</summary>
    public RtspException? RunError { get; private set; }
    public DateTimeOffset PlayStartedAt { get; private set; }

    public IReadOnlyList<ReceivedFrame> Frames
    {
        get { lock (_frames) return [.. _frames]; }
    }

    public IReadOnlyList<ReceivedFrame> Video => [.. Frames.Where(f => f.Track.IsVideo)];
    public IReadOnlyList<ReceivedFrame> Audio => [.. Frames.Where(f => !f.Track.IsVideo)];

    /// <param name="videoFrames">Stop once this many video frames came.</param>
    /// <param name="quietAfter">Stop when no frame came for this long after the first one (a finite stream ended).</param>
    public static async Task<QuirkPlayback> PlayAsync(string uri, int videoFrames, TimeSpan limit, TimeSpan? quietAfter = null)
    {
        var client = new RtspClient(new RtspClientOptions { Uri = uri, ConnectTimeout = TimeSpan.FromSeconds(3) }, NullLogger.Instance);
        var playback = new QuirkPlayback(client);
        var lastFrame = 0L;
        client.FrameReceived += (track, frame, wallClock) =>
        {
            lock (playback._frames) playback._frames.Add(new ReceivedFrame(track, frame, wallClock, DateTimeOffset.UtcNow, track.Parameters));
            Interlocked.Exchange(ref lastFrame, Stopwatch.GetTimestamp());
        };
        playback.PlayStartedAt = DateTimeOffset.UtcNow;
        try
        {
            await client.StartAsync(CancellationToken.None);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
        using var stop = new CancellationTokenSource();
        var run = client.RunAsync(stop.Token);
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        var quiet = quietAfter ?? TimeSpan.FromSeconds(2);
        while (!run.IsCompleted && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.WhenAny(run, Task.Delay(50));
            if (playback.Video.Count >= videoFrames) break;
            var last = Interlocked.Read(ref lastFrame);
            if (last != 0 && Stopwatch.GetElapsedTime(last) > quiet) break;
        }
        stop.Cancel();
        try
        {
            await run;
        }
        catch (RtspException e)
        {
            playback.RunError = e;
        }
        return playback;
    }

    /// <summary>Decodes the frames from the first keyframe on with FFmpeg's H.264 decoder; the size of every picture.</summary>
    public static List<(int Width, int Height)> DecodeH264(IEnumerable<EncodedFrame> frames)
    {
        using var decoder = new VideoDecoder("h264");
        var sizes = new List<(int, int)>();
        var pts = 0L;
        foreach (var frame in frames.SkipWhile(f => !f.IsKeyframe))
        {
            decoder.Decode(NalUnits.ToAnnexB(frame.Data), pts++, (in Picture p) => sizes.Add((p.Width, p.Height)));
        }
        return sizes;
    }

    /// <summary>The NAL unit types of a length-prefixed access unit, in order.</summary>
    public static List<int> NalTypes(EncodedFrame frame)
    {
        var types = new List<int>();
        ReadOnlySpan<byte> rest = frame.Data;
        while (NalUnits.TryNext(ref rest, out var nal)) types.Add(nal[0] & 0x1f);
        return types;
    }

    public async ValueTask DisposeAsync() => await Client.DisposeAsync();
}
