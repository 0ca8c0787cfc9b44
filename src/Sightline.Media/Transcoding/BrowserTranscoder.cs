using System.Buffers.Binary;
using Sightline.Codecs;
using Sightline.Rtp.Codecs;
using Sightline.Rtp.Packetization;

namespace Sightline.Media.Transcoding;

/// <summary>
/// Turns a camera codec browsers cannot decode over WebRTC (H.265, MJPEG) into H.264 Constrained Baseline: the camera
/// is decoded once, scaled to I420 at its own size and encoded with libx264 in real time (keyframe every 2 s and on
/// request). Runs on the camera's thread, only while someone watches.
/// </summary>
public sealed class BrowserTranscoder : IDisposable
{
    private readonly VideoDecoder _decoder;
    private readonly int _bitrate;
    private readonly int _fps;
    private Scaler? _scaler;
    private VideoEncoder? _encoder;
    private int _sinceKeyframe;
    private bool _keyframeWanted = true;
    // Encoders need monotonic timestamps: the camera's 32-bit RTP clock is unwrapped first.
    private Sightline.Rtp.Time.TimestampUnwrapper _timestamps;

    public BrowserTranscoder(MediaCodec source, int bitrate, int fps = 25)
    {
        _decoder = new VideoDecoder(source == MediaCodec.H265 ? "hevc" : "mjpeg");
        _bitrate = bitrate;
        _fps = fps;
    }

    public long FramesIn { get; private set; }
    public long FramesOut { get; private set; }
    public double EncodeMilliseconds { get; private set; }

    /// <summary>The next output frame is a keyframe (a viewer joined or asked with PLI/FIR).</summary>
    public void RequestKeyframe() => _keyframeWanted = true;

    /// <summary>Takes one camera frame; returns the H.264 access units it produced (4-byte length-prefixed NAL units).</summary>
    public List<(byte[] AccessUnit, bool Keyframe, uint Timestamp)> Transcode(EncodedFrame frame)
    {
        FramesIn++;
        var output = new List<(byte[], bool, uint)>();
        var input = frame.Codec == MediaCodec.H265 ? ToAnnexB(frame.Data) : frame.Data;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        _decoder.Decode(input, _timestamps.Unwrap(frame.RtpTimestamp), (in Picture picture) =>
        {
            var width = picture.Width & ~1;
            var height = picture.Height & ~1;
            if (_encoder is null || _encoder.Width != width || _encoder.Height != height)
            {
                _encoder?.Dispose();
                _scaler?.Dispose();
                _encoder = new VideoEncoder("libx264", width, height, _fps, _bitrate);
                _scaler = new Scaler(width, height);
                _keyframeWanted = true;
            }
            var keyframe = _keyframeWanted || ++_sinceKeyframe >= 2 * _fps;
            if (keyframe)
            {
                _keyframeWanted = false;
                _sinceKeyframe = 0;
            }
            var encoder = _encoder;
            var pts = picture.Pts;
            _scaler!.Scale(in picture, (in Picture i420) =>
                encoder.Encode(in i420, pts, keyframe, (packet, key, outPts) =>
                {
                    output.Add((ToLengthPrefixed(packet), key, (uint)outPts));
                    FramesOut++;
                }));
        });
        EncodeMilliseconds += System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return output;
    }

    private static byte[] ToAnnexB(byte[] lengthPrefixed)
    {
        using var ms = new MemoryStream(lengthPrefixed.Length + 16);
        ReadOnlySpan<byte> rest = lengthPrefixed;
        while (NalUnits.TryNext(ref rest, out var nal))
        {
            ms.Write([0, 0, 0, 1]);
            ms.Write(nal);
        }
        return ms.ToArray();
    }

    private static byte[] ToLengthPrefixed(ReadOnlySpan<byte> annexB)
    {
        using var ms = new MemoryStream(annexB.Length + 16);
        Span<byte> prefix = stackalloc byte[4];
        foreach (var nal in NalUnits.SplitAnnexB(annexB))
        {
            BinaryPrimitives.WriteUInt32BigEndian(prefix, (uint)nal.Length);
            ms.Write(prefix);
            ms.Write(nal);
        }
        return ms.ToArray();
    }

    public void Dispose()
    {
        _decoder.Dispose();
        _encoder?.Dispose();
        _scaler?.Dispose();
    }
}
