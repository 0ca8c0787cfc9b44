namespace Sightline.Codecs;

/// <summary>48 kHz mono 16-bit samples to AAC-LC (FFmpeg's encoder), in frames of <see cref="FrameSize"/> samples.</summary>
public sealed unsafe class AacEncoder : IDisposable
{
    private nint _handle;

    public AacEncoder(int bitrate = 96_000)
    {
        _handle = CodecException.Guard(() => Interop.AacOpen(bitrate));
        if (_handle == 0) throw new CodecException("cannot open the 'aac' encoder");
        FrameSize = Interop.AacFrameSize(_handle);
        byte* data;
        int size;
        Interop.AacConfig(_handle, &data, &size);
        Config = new ReadOnlySpan<byte>(data, size).ToArray();
    }

    /// <summary>Samples per AAC frame (1024).</summary>
    public int FrameSize { get; }
    /// <summary>The AudioSpecificConfig (ISO 14496-3 §1.6.2.1) for the container.</summary>
    public byte[] Config { get; }

    /// <summary>Encodes one frame of exactly <see cref="FrameSize"/> samples; <paramref name="onPacket"/> gets each AAC packet out (pts in 1/48000 s).</summary>
    public void Encode(ReadOnlySpan<short> samples, PacketHandler onPacket)
    {
        fixed (short* s = samples)
        {
            var r = Interop.AacSend(_handle, s, samples.Length);
            if (r < 0) throw new CodecException("AAC encode failed: " + CodecException.Describe(r));
        }
        byte* data;
        int size;
        long pts;
        while (Interop.AacReceive(_handle, &data, &size, &pts) == 0) onPacket(new ReadOnlySpan<byte>(data, size), true, pts);
    }

    public void Dispose()
    {
        if (_handle != 0) Interop.AacClose(_handle);
        _handle = 0;
    }
}
