namespace Sightline.Codecs;

/// <summary>Camera audio (AAC, G.711, Opus) decoded and resampled to 48 kHz mono 16-bit samples, queued for a mixer.</summary>
public sealed unsafe class PcmDecoder : IDisposable
{
    public const int SampleRate = 48000;
    private nint _handle;

    /// <param name="decoder">FFmpeg decoder name: <c>aac</c>, <c>pcm_mulaw</c>, <c>pcm_alaw</c>, <c>libopus</c>.</param>
    public PcmDecoder(string decoder, ReadOnlySpan<byte> config, int sampleRate, int channels)
    {
        var copy = config.ToArray();
        _handle = CodecException.Guard(() =>
        {
            fixed (byte* c = copy) return Interop.PcmOpen(decoder, c, copy.Length, sampleRate, channels);
        });
        if (_handle == 0) throw new CodecException($"cannot open the '{decoder}' audio decoder");
    }

    /// <summary>Samples decoded and not yet read.</summary>
    public int Available => Interop.PcmAvailable(_handle);

    public void Decode(ReadOnlySpan<byte> frame)
    {
        fixed (byte* data = frame)
        {
            var r = Interop.PcmSend(_handle, data, frame.Length);
            if (r < 0) throw new CodecException("audio decode failed: " + CodecException.Describe(r));
        }
    }

    /// <summary>Reads up to <paramref name="output"/>.Length samples; returns how many.</summary>
    public int Read(Span<short> output)
    {
        fixed (short* o = output) return Interop.PcmRead(_handle, o, output.Length);
    }

    public void Dispose()
    {
        if (_handle != 0) Interop.PcmClose(_handle);
        _handle = 0;
    }
}
