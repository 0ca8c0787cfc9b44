namespace Sightline.Codecs;

/// <summary>A libavcodec video decoder (<c>h264</c>, <c>hevc</c>, <c>mjpeg</c>, <c>vp8</c>): encoded frames in, pictures out.</summary>
public sealed unsafe class VideoDecoder : IDisposable
{
    private nint _handle;

    /// <param name="codec">FFmpeg decoder name.</param>
    /// <param name="lowDelay">Each picture out as soon as it is decoded; false for a stream that reorders frames
    /// (B-frames), whose pictures then come out in presentation order, a few frames later.</param>
    public VideoDecoder(string codec, bool lowDelay = true)
    {
        _handle = CodecException.Guard(() => Interop.DecoderOpen(codec, lowDelay ? 1 : 0));
        if (_handle == 0) throw new CodecException($"no '{codec}' decoder in this FFmpeg");
    }

    /// <summary>Decodes one frame (H.264/H.265 in Annex B); calls <paramref name="onPicture"/> for each picture out.</summary>
    /// <remarks>The picture's planes are valid only during the callback.</remarks>
    public void Decode(ReadOnlySpan<byte> frame, long pts, PictureHandler onPicture)
    {
        fixed (byte* data = frame)
        {
            var r = Interop.DecoderSend(_handle, data, frame.Length, pts);
            if (r < 0 && r != -11) throw new CodecException("decode failed: " + CodecException.Describe(r));
        }
        Picture picture;
        while (Interop.DecoderReceive(_handle, &picture) == 0) onPicture(in picture);
    }

    /// <summary>True when this machine's FFmpeg layer loads and has the decoder (re-encoding can work).</summary>
    public static bool Available(string codec)
    {
        try
        {
            using var decoder = new VideoDecoder(codec);
            return true;
        }
        catch (CodecException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (_handle != 0) Interop.DecoderClose(_handle);
        _handle = 0;
    }
}

/// <summary>Receives a decoded or scaled picture, valid during the call.</summary>
public delegate void PictureHandler(in Picture picture);
