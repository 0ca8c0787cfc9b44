using System.Text;

namespace Sightline.Codecs;

/// <summary>What kind of stream a container holds.</summary>
public enum MediaKind { Video, Audio, Other }

/// <summary>An opened input: its container (FFmpeg's demuxer name), length, and how it may be read.</summary>
/// <param name="Duration">Null for a live stream (no known end).</param>
/// <param name="Start">The first timestamp of the input (an MPEG-TS often starts at 1.4 s, not 0).</param>
/// <param name="Seekable">Byte-seekable (a file, an HTTP resource served with ranges): it can be played again from the start.</param>
/// <param name="HasTimestamps">False for formats without timestamps (MJPEG over HTTP): frames are timed as they arrive.</param>
public sealed record MediaInputInfo(string Format, TimeSpan? Duration, TimeSpan Start, long BitRate, bool Seekable, bool HasTimestamps);

/// <summary>One stream of an input as libavformat describes it.</summary>
/// <param name="Codec">FFmpeg's codec name: <c>h264</c>, <c>hevc</c>, <c>vp8</c>, <c>mjpeg</c>, <c>aac</c>, <c>opus</c>, <c>pcm_mulaw</c>, …</param>
/// <param name="Extradata">The codec configuration: avcC/hvcC or Annex B parameter sets, AudioSpecificConfig, OpusHead; empty when none.</param>
public sealed record MediaStreamInfo(
    int Index, MediaKind Kind, string Codec, int Width, int Height, int SampleRate, int Channels,
    int TimeBaseNum, int TimeBaseDen, double? FrameRate, long BitRate, byte[] Extradata);

/// <summary>One packet read from an input; <see cref="Data"/> is valid until the next read.</summary>
/// <remarks>Timestamps are in the stream's time base, null when the container has none.</remarks>
public readonly ref struct MediaPacket(int stream, bool keyframe, long? pts, long? dts, long? duration, ReadOnlySpan<byte> data)
{
    public int Stream { get; } = stream;
    public bool Keyframe { get; } = keyframe;
    public long? Pts { get; } = pts;
    public long? Dts { get; } = dts;
    public long? Duration { get; } = duration;
    public ReadOnlySpan<byte> Data { get; } = data;
}

/// <summary>Why opening or reading an input failed, in the terms a user acts on.</summary>
public enum MediaInputFailure
{
    Other,
    /// <summary>Nothing came within the deadline.</summary>
    Timeout,
    /// <summary><see cref="MediaInput.Interrupt"/> was called.</summary>
    Cancelled,
    ConnectionRefused,
    HostUnreachable,
    /// <summary>HTTP 404, or no such file.</summary>
    NotFound,
    /// <summary>HTTP 401 or 403.</summary>
    Unauthorized,
    /// <summary>Another HTTP error status (400, other 4xx, 5xx).</summary>
    HttpError,
    /// <summary>Not a media stream FFmpeg can read.</summary>
    InvalidData,
    /// <summary>The operating system refused to open the file.</summary>
    AccessDenied,
    /// <summary>A bad URL or option, or a format or protocol the options do not allow.</summary>
    Invalid,
}

/// <summary>An input could not be opened or read; <see cref="Detail"/> is the last error FFmpeg logged for it.</summary>
public sealed class MediaInputException(MediaInputFailure failure, int code, string message, string? detail) : Exception(message)
{
    public MediaInputFailure Failure { get; } = failure;
    /// <summary>FFmpeg's AVERROR code.</summary>
    public int Code { get; } = code;
    public string? Detail { get; } = detail;
}

/// <summary>
/// A libavformat input (a media file, an HTTP(S) stream, HLS, MJPEG over HTTP): opened by URL with a deadline, its streams
/// described, its packets read one at a time. Every blocking call has a deadline; <see cref="Interrupt"/> (any thread)
/// cancels the one in progress and every later one. One thread reads; it also disposes.
/// </summary>
public sealed unsafe class MediaInput : IDisposable
{
    private readonly Lock _gate = new();
    private nint _handle;
    private MediaStreamInfo[] _streams = [];

    public MediaInput()
    {
        _handle = CodecException.Guard(Interop.InputNew);
        if (_handle == 0) throw new CodecException("cannot allocate a media input");
    }

    public MediaInputInfo Info { get; private set; } = new("", null, TimeSpan.Zero, 0, false, true);
    public IReadOnlyList<MediaStreamInfo> Streams => _streams;

    /// <summary>Opens <paramref name="url"/> and reads its stream info within <paramref name="timeout"/>.</summary>
    /// <param name="options">libavformat options (format, protocol and demuxer ones: <c>rw_timeout</c>, <c>protocol_whitelist</c>, …).</param>
    /// <exception cref="MediaInputException">The input cannot be opened, with the reason.</exception>
    public void Open(string url, IReadOnlyDictionary<string, string> options, TimeSpan timeout)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in options)
        {
            if (key.AsSpan().IndexOfAny("=\n") >= 0 || value.Contains('\n')) throw new ArgumentException($"bad option '{key}'", nameof(options));
            text.Append(key).Append('=').Append(value).Append('\n');
        }
        Check(Interop.InputOpen(_handle, url, text.ToString(), Milliseconds(timeout)), "open");
        Interop.InputInfo info;
        Check(Interop.InputInfoGet(_handle, &info), "open");
        Info = new MediaInputInfo(
            Utf8(info.Format, 64),
            info.DurationUs > 0 ? TimeSpan.FromMicroseconds(info.DurationUs) : null,
            TimeSpan.FromMicroseconds(info.StartUs),
            info.BitRate,
            info.Seekable != 0,
            info.NoTimestamps == 0);
        var streams = new MediaStreamInfo[info.Streams];
        for (var i = 0; i < streams.Length; i++)
        {
            Interop.StreamInfo s;
            Check(Interop.InputStream(_handle, i, &s), "open");
            byte* extradata;
            var size = Interop.InputExtradata(_handle, i, &extradata);
            streams[i] = new MediaStreamInfo(
                i, s.Kind switch { 0 => MediaKind.Video, 1 => MediaKind.Audio, _ => MediaKind.Other }, Utf8(s.Codec, 32),
                s.Width, s.Height, s.SampleRate, s.Channels, s.TimeBaseNum, s.TimeBaseDen,
                s.FrameRateNum > 0 && s.FrameRateDen > 0 ? (double)s.FrameRateNum / s.FrameRateDen : null,
                s.BitRate, size > 0 && extradata != null ? new ReadOnlySpan<byte>(extradata, size).ToArray() : []);
        }
        _streams = streams;
    }

    /// <summary>Reads the next packet; false at the end of the input.</summary>
    /// <exception cref="MediaInputException">Nothing came within <paramref name="timeout"/>, the input was interrupted, or it failed.</exception>
    public bool TryRead(TimeSpan timeout, out MediaPacket packet)
    {
        Interop.PacketInfo p;
        var r = Interop.InputRead(_handle, Milliseconds(timeout), &p);
        if (r < 0 && Interop.ErrorKind(r) == EndOfFile)
        {
            packet = default;
            return false;
        }
        Check(r, "read");
        packet = new MediaPacket(p.Stream, p.Keyframe != 0, Timestamp(p.Pts), Timestamp(p.Dts), Timestamp(p.Duration),
            p.Size > 0 ? new ReadOnlySpan<byte>(p.Data, p.Size) : []);
        return true;
    }

    /// <summary>Seeks back to the start (its first keyframe), to play a file again.</summary>
    public void Rewind(TimeSpan timeout) => Check(Interop.InputRewind(_handle, Milliseconds(timeout)), "rewind");

    /// <summary>Cancels the blocking call in progress, and every later one. Safe from any thread, also after disposal.</summary>
    public void Interrupt()
    {
        lock (_gate)
        {
            if (_handle != 0) Interop.InputInterrupt(_handle);
        }
    }

    public void Dispose()
    {
        nint handle;
        lock (_gate)
        {
            handle = _handle;
            _handle = 0;
        }
        if (handle != 0) Interop.InputFree(handle);
    }

    private const int EndOfFile = 1;

    private void Check(int code, string operation)
    {
        if (code >= 0) return;
        var buffer = stackalloc byte[512];
        Interop.InputLog(_handle, buffer, 512);
        var detail = Utf8(buffer, 512);
        var failure = Interop.ErrorKind(code) switch
        {
            2 => MediaInputFailure.Timeout,
            3 => MediaInputFailure.Cancelled,
            4 => MediaInputFailure.ConnectionRefused,
            5 => MediaInputFailure.HostUnreachable,
            6 => MediaInputFailure.NotFound,
            7 => MediaInputFailure.Unauthorized,
            8 => MediaInputFailure.HttpError,
            9 => MediaInputFailure.InvalidData,
            10 => MediaInputFailure.AccessDenied,
            11 => MediaInputFailure.Invalid,
            _ => MediaInputFailure.Other,
        };
        var text = CodecException.Describe(code);
        throw new MediaInputException(failure, code, detail.Length > 0 && detail != text ? $"{operation}: {text} ({detail})" : $"{operation}: {text}", detail.Length > 0 ? detail : null);
    }

    private static long? Timestamp(long value) => value == long.MinValue ? null : value;

    private static int Milliseconds(TimeSpan t) => (int)Math.Clamp(t.TotalMilliseconds, 1, int.MaxValue);

    private static string Utf8(byte* text, int max)
    {
        var span = new ReadOnlySpan<byte>(text, max);
        var end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
    }
}
