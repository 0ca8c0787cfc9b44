namespace Sightline.Codecs;

/// <summary>
/// Camera audio browsers cannot take over WebRTC (AAC) to Opus: decoded, resampled to 48 kHz and encoded in 20 ms
/// frames (libopus, low-delay mode).
/// </summary>
public sealed unsafe class AudioTranscoder : IDisposable
{
    private nint _handle;

    /// <param name="decoder">FFmpeg decoder name (<c>aac</c>).</param>
    /// <param name="config">Decoder configuration (AudioSpecificConfig for AAC), or empty.</param>
    public AudioTranscoder(string decoder, ReadOnlySpan<byte> config, int channels = 2, int bitrate = 48_000)
    {
        var copy = config.ToArray();
        _handle = CodecException.Guard(() =>
        {
            fixed (byte* c = copy) return Interop.AudioOpen(decoder, c, copy.Length, Math.Clamp(channels, 1, 2), bitrate);
        });
        if (_handle == 0) throw new CodecException($"cannot open '{decoder}' → Opus");
    }

    /// <summary>Decoded samples (48 kHz) waiting for the next Opus frame: the next packet starts this far before the next input.</summary>
    public int Buffered => Interop.AudioBuffered(_handle);

    /// <summary>Samples per Opus frame at 48 kHz (20 ms).</summary>
    public const int FrameSamples = 960;

    /// <summary>Takes one encoded audio frame; calls <paramref name="onOpus"/> for each 20 ms Opus packet ready.</summary>
    public void Transcode(ReadOnlySpan<byte> frame, OpusHandler onOpus)
    {
        fixed (byte* data = frame)
        {
            var r = Interop.AudioSend(_handle, data, frame.Length);
            if (r < 0) throw new CodecException("audio decode failed: " + CodecException.Describe(r));
        }
        byte* packet;
        int size;
        while (Interop.AudioReceive(_handle, &packet, &size) == 0) onOpus(new ReadOnlySpan<byte>(packet, size));
    }

    public void Dispose()
    {
        if (_handle != 0) Interop.AudioClose(_handle);
        _handle = 0;
    }
}

/// <summary>Receives one Opus packet, valid during the call.</summary>
public delegate void OpusHandler(ReadOnlySpan<byte> packet);
