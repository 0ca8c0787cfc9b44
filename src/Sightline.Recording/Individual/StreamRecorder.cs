using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Sightline.Media.Sources;
using Sightline.Recording.Containers;
using Sightline.Rtp.Packetization;
using Sightline.Rtp.Time;

namespace Sightline.Recording.Individual;

/// <summary>
/// One camera stream into one fragmented MP4 file, as the camera sends it (H.264/H.265 video, AAC/G.711/Opus audio,
/// never re-encoded). Frames come from the camera's thread through a bounded queue; one task writes. The file starts at
/// a video keyframe (the camera's cached GOP, so at once); a camera that drops and comes back leaves a gap in the
/// timeline (its last picture holds) and the file goes on from the camera's next keyframe.
/// </summary>
public sealed class StreamRecorder : IFrameSink, IAsyncDisposable
{
    private const int QueueFrames = 2000;

    private readonly Channel<(ICameraTrack Track, EncodedFrame Frame, DateTimeOffset? Wall)> _queue =
        Channel.CreateBounded<(ICameraTrack, EncodedFrame, DateTimeOffset?)>(new BoundedChannelOptions(QueueFrames) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly Func<IReadOnlyList<ICameraTrack>> _tracks;
    private readonly bool _wantAudio, _wantVideo;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Task _loop;
    private FileStream? _file;
    private IMediaFileWriter? _mp4;
    private int _videoIndex = -1, _audioIndex = -1;
    private DateTimeOffset? _startWall;
    private Anchor _video, _audio;
    private DecodeTimeline? _decodeTimes; // H.264/H.265: frames in decode order, RTP times are presentation times
    private long _dropped;

    // Where a track's RTP clock meets the file's timeline; replaced when the camera reconnects (new RTP clocks).
    private struct Anchor
    {
        public ICameraTrack? Track;
        public TimestampUnwrapper Unwrapper;
        public long FirstTs;
        public long FirstTime;
        public long LastTime;
        public bool Set;
    }

    /// <param name="path">The file without its extension: <c>.mp4</c>, or <c>.webm</c> for a VP8 camera, is added.</param>
    public StreamRecorder(string path, Func<IReadOnlyList<ICameraTrack>> tracks, bool hasAudio, bool hasVideo, ILogger logger, TimeProvider time)
    {
        _basePath = path;
        FilePath = path + ".mp4";
        _tracks = tracks;
        _wantAudio = hasAudio;
        _wantVideo = hasVideo;
        _logger = logger;
        _time = time;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>The file (its extension known once the camera's codec is).</summary>
    public string FilePath { get; private set; }
    private readonly string _basePath;
    /// <summary>The file's path without its extension.</summary>
    public string BasePath => _basePath;
    public long Size => _closedSize ?? _mp4?.BytesWritten ?? 0;
    private long? _closedSize;
    public bool HasVideo => _videoIndex >= 0;
    public bool HasAudio => _audioIndex >= 0;
    /// <summary>Wall-clock time of the file's first and last sample.</summary>
    public DateTimeOffset? StartedAt => _startWall;
    public DateTimeOffset? EndedAt { get; private set; }
    public double DurationSeconds => _mp4?.DurationSeconds ?? 0;
    /// <summary>Why writing stopped (disk full, folder gone…), null while all is well.</summary>
    public string? Error { get; private set; }
    public long FramesDropped => Interlocked.Read(ref _dropped);
    /// <summary>Raised once when the file cannot be written any more.</summary>
    public event Action<StreamRecorder>? Failed;

    public void OnFrame(ICameraTrack track, EncodedFrame frame, DateTimeOffset? wallClock)
    {
        if (!_queue.Writer.TryWrite((track, frame, wallClock))) Interlocked.Increment(ref _dropped);
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (var (track, frame, wall) in _queue.Reader.ReadAllAsync())
            {
                if (Error is not null) continue;
                Write(track, frame, wall);
            }
            _mp4?.Finish();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            // The reason goes to webhooks too: name the file, not the server's folders.
            Fail(e.Message.Replace(FilePath, Path.GetFileName(FilePath), StringComparison.Ordinal).Replace(" : ''", "", StringComparison.Ordinal));
        }
        finally
        {
            _mp4?.Dispose();
            if (_file is not null)
            {
                _closedSize = _file.Position;
                await _file.DisposeAsync();
            }
        }
    }

    private void Fail(string message)
    {
        if (Error is not null) return;
        Error = message;
        _logger.LogError("Recording {File} stopped: {Reason}", Path.GetFileName(FilePath), message);
        Failed?.Invoke(this);
    }

    private void Write(ICameraTrack track, EncodedFrame frame, DateTimeOffset? wall)
    {
        var isVideo = track.IsVideo;
        if (isVideo ? !_wantVideo : !_wantAudio) return;
        if (_mp4 is null)
        {
            // The file starts at a video keyframe (or the first audio frame of a camera without video).
            if (isVideo && !frame.IsKeyframe) return;
            if (!isVideo && _wantVideo && _tracks().Any(t => t.IsVideo && Storable(t.Codec))) return;
            if (!Open(track, frame)) return;
        }
        var index = isVideo ? _videoIndex : _audioIndex;
        if (index < 0) return;
        ref var anchor = ref isVideo ? ref _video : ref _audio;
        var timescale = Timescale(track);
        if (!anchor.Set || !ReferenceEquals(anchor.Track, track))
        {
            // First frame of this track, or the camera came back with new RTP clocks: place it by wall-clock time.
            if (isVideo && !frame.IsKeyframe) return;
            long at;
            // A B-frame stream's first decode times come before its first picture: that picture starts Lead into the file.
            var lead = isVideo ? _decodeTimes?.Lead ?? 0 : 0;
            if (!anchor.Set && isVideo && _startWall is null) at = lead;
            else if (wall is { } w && _startWall is { } start) at = (long)((w - start).TotalSeconds * timescale);
            else return; // audio before the file's wall clock is known: wait for it
            if (anchor.Set) at = Math.Max(at, anchor.LastTime + 1 + lead);
            if (isVideo) _decodeTimes?.Restart();
            anchor = new Anchor { Track = track, FirstTs = 0, FirstTime = Math.Max(0, at), Set = true };
            anchor.FirstTs = anchor.Unwrapper.Unwrap(frame.RtpTimestamp);
        }
        var time = anchor.FirstTime + (anchor.Unwrapper.Unwrap(frame.RtpTimestamp) - anchor.FirstTs) * timescale / Math.Max(1, track.ClockRate);
        if (isVideo && frame.IsKeyframe) FollowReordering(track);
        // Reordered video: presentation times go back and forth (within a GOP; a step back of a second is a clock step);
        // the latest one shown is what a new anchor follows.
        if (isVideo && _decodeTimes is not null && time >= anchor.LastTime - timescale)
        {
            time = Math.Max(0, time);
            anchor.LastTime = Math.Max(anchor.LastTime, time);
        }
        else
        {
            if (time < anchor.LastTime) time = anchor.LastTime; // a clock step back: keep time monotonic
            anchor.LastTime = time;
        }
        if (isVideo && wall is { } live && _startWall is null)
        {
            // The file's wall clock: this live frame's time, minus how far into the file it is.
            _startWall = live - TimeSpan.FromSeconds((double)time / timescale);
        }
        if (wall is { } seen) EndedAt = seen;
        if (isVideo && _decodeTimes is { } timeline)
        {
            var depth = timeline.Depth;
            var decode = timeline.Next(time);
            if (timeline.Depth > depth)
            {
                _logger.LogInformation("Recording {File}: the camera reorders frames {Depth} deep (more than its SPS said): decode times follow", Path.GetFileName(FilePath), timeline.Depth);
            }
            _mp4!.Write(index, frame.Data, decode, time, frame.IsKeyframe);
        }
        else
        {
            _mp4!.Write(index, frame.Data, time, frame.IsKeyframe || !isVideo);
        }
    }

    private bool Open(ICameraTrack first, EncodedFrame keyframe)
    {
        var tracks = new List<Mp4Track>();
        var all = _tracks();
        if (first.IsVideo)
        {
            var sets = first.Codec is MediaCodec.H264 or MediaCodec.H265 ? Sightline.Rtp.Codecs.NalUnits.ParameterSets(keyframe.Data, first.Codec == MediaCodec.H265) : [];
            // The depacketizer has read the picture size from the SPS or the VP8/JPEG headers already.
            _videoIndex = tracks.Count;
            tracks.Add(new Mp4Track(first.Codec, 90000, first.Parameters.Width ?? 0, first.Parameters.Height ?? 0, sets));
            FollowReordering(first);
        }
        var webm = first.Codec == MediaCodec.VP8;
        // WebM holds Opus only; MP4 holds AAC, G.711 and Opus.
        if (_wantAudio && all.FirstOrDefault(t => !t.IsVideo && (webm ? t.Codec == MediaCodec.Opus : t.Codec is MediaCodec.AAC or MediaCodec.PCMU or MediaCodec.PCMA or MediaCodec.Opus)) is { } audio)
        {
            _audioIndex = tracks.Count;
            var p = audio.Parameters;
            tracks.Add(new Mp4Track(audio.Codec, Timescale(audio), AudioConfig: p.Config, Channels: p.Channels ?? 1, SampleRate: p.SampleRate ?? audio.ClockRate));
        }
        else if (_wantAudio && webm && all.Any(t => !t.IsVideo)) _logger.LogWarning("Recording {File}: the camera's audio does not fit in WebM next to VP8 (Opus only): recorded without audio", Path.GetFileName(_basePath));
        if (tracks.Count == 0) return false;
        FilePath = _basePath + (webm ? ".webm" : ".mp4");
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        _file = new FileStream(FilePath, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        _mp4 = webm ? new WebmWriter(_file, tracks) : new Mp4Writer(_file, tracks);
        if (!first.IsVideo) _startWall = null;
        return true;
    }

    /// <summary>
    /// Decode times are derived for an H.264/H.265 camera that reorders frames or might (no SPS says it does not); one
    /// whose SPS says it does not keeps the plain path. Checked at each keyframe: a camera can be reconfigured.
    /// </summary>
    private void FollowReordering(ICameraTrack track)
    {
        if (_decodeTimes is not null || track.Codec is not (MediaCodec.H264 or MediaCodec.H265)) return;
        var reordering = track.Parameters.Reordering;
        if (reordering is { Reorders: false, Certain: true }) return;
        var frameTicks = track.Parameters.FrameRate is > 1 and < 300 and var fps ? (long)Math.Round(90000 / fps) : 3600;
        _decodeTimes = new DecodeTimeline(reordering is { Reorders: true } r ? r.Depth : 0, frameTicks);
        if (reordering is { Reorders: true } known)
        {
            _logger.LogInformation("Recording {File}: the camera uses B-frames ({Reason}): kept, with composition offsets", Path.GetFileName(_basePath), known.Reason);
        }
    }

    private static bool Storable(MediaCodec codec) => codec is MediaCodec.H264 or MediaCodec.H265 or MediaCodec.VP8 or MediaCodec.MJPEG;

    private static int Timescale(ICameraTrack t) => t.Codec switch
    {
        MediaCodec.H264 or MediaCodec.H265 => 90000,
        MediaCodec.Opus => 48000,
        _ => t.Parameters.SampleRate ?? t.ClockRate,
    };

    /// <summary>Writes what is queued, the last fragment and the file's duration, and closes it.</summary>
    public async ValueTask DisposeAsync()
    {
        EndedAt = _time.GetUtcNow();
        _queue.Writer.TryComplete();
        await _loop;
    }
}
