namespace Sightline.Codecs;

/// <summary>
/// A real-time video encoder (<c>libx264</c> Constrained Baseline, or <c>libvpx</c> VP8): no B-frames, no lookahead,
/// the target bitrate changeable while running, a keyframe on demand.
/// </summary>
public sealed unsafe class VideoEncoder : IDisposable
{
    private nint _handle;
    private readonly string _name;
    private readonly int _fps;
    private bool _keyframeNext;
    private readonly int _bufferMs;
    private readonly int _level;

    /// <param name="rateBuffer">How big a burst may be, in time at the bitrate (the rate-control buffer): a short one keeps
    /// keyframes from flooding a thin link; a recording can afford the default half second.</param>
    /// <param name="level">H.264 <c>level_idc</c> the stream announces and is held to (31 = 3.1); 0 lets the encoder choose.</param>
    public VideoEncoder(string encoder, int width, int height, int fps, int bitrate, TimeSpan? rateBuffer = null, int level = 0)
    {
        _level = level;
        _name = encoder;
        _fps = fps;
        _bufferMs = (int)(rateBuffer ?? TimeSpan.FromMilliseconds(500)).TotalMilliseconds;
        Width = width;
        Height = height;
        Bitrate = bitrate;
        _handle = CodecException.Guard(() => Interop.EncoderOpen(encoder, width, height, fps, bitrate, _bufferMs, level));
        if (_handle == 0) throw new CodecException($"cannot open the '{encoder}' encoder at {width}x{height}");
    }

    public int Width { get; }
    public int Height { get; }
    public int Bitrate { get; private set; }

    /// <summary>
    /// New target bitrate from the next frame: libx264 reconfigures in place; FFmpeg's libvpx wrapper does not, so a VP8
    /// encoder is reopened at the new rate and starts with a keyframe.
    /// </summary>
    public void SetBitrate(int bitrate)
    {
        Bitrate = bitrate;
        if (_name == "libx264")
        {
            Interop.EncoderSetBitrate(_handle, bitrate);
            return;
        }
        var reopened = Interop.EncoderOpen(_name, Width, Height, _fps, bitrate, _bufferMs, _level);
        if (reopened == 0) throw new CodecException($"cannot reopen the '{_name}' encoder at {bitrate} b/s");
        Interop.EncoderClose(_handle);
        _handle = reopened;
        _keyframeNext = true;
    }

    /// <summary>Encodes one I420 picture of the encoder's size; calls <paramref name="onPacket"/> for each packet out.</summary>
    public void Encode(in Picture picture, long pts, bool keyframe, PacketHandler onPacket)
    {
        keyframe |= _keyframeNext;
        _keyframeNext = false;
        var r = Interop.EncoderSend(_handle, picture.Y, picture.U, picture.V, picture.StrideY, picture.StrideU, picture.StrideV, pts, keyframe ? 1 : 0);
        if (r < 0) throw new CodecException("encode failed: " + CodecException.Describe(r));
        byte* data;
        int size, key;
        long outPts;
        while (Interop.EncoderReceive(_handle, &data, &size, &key, &outPts) == 0)
        {
            onPacket(new ReadOnlySpan<byte>(data, size), key != 0, outPts);
        }
    }

    /// <summary>Encodes tightly packed I420 planes of the encoder's size (a canvas built in managed memory).</summary>
    public void EncodeI420(ReadOnlySpan<byte> y, ReadOnlySpan<byte> u, ReadOnlySpan<byte> v, long pts, bool keyframe, PacketHandler onPacket)
    {
        if (y.Length < Width * Height || u.Length < Width * Height / 4 || v.Length < Width * Height / 4) throw new ArgumentException("planes smaller than the picture");
        fixed (byte* py = y, pu = u, pv = v)
        {
            var picture = new Picture { Width = Width, Height = Height, Format = 0, Y = py, U = pu, V = pv, StrideY = Width, StrideU = Width / 2, StrideV = Width / 2, Pts = pts };
            Encode(in picture, pts, keyframe, onPacket);
        }
    }

    public void Dispose()
    {
        if (_handle != 0) Interop.EncoderClose(_handle);
        _handle = 0;
    }
}

/// <summary>Receives an encoded packet, valid during the call.</summary>
public delegate void PacketHandler(ReadOnlySpan<byte> packet, bool keyframe, long pts);
