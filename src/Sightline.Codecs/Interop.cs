using System.Runtime.InteropServices;

namespace Sightline.Codecs;

/// <summary>A picture as the native layer hands it out: size, pixel format (FFmpeg's), three planes, their strides.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct Picture
{
    public int Width, Height, Format;
    public byte* Y, U, V;
    public int StrideY, StrideU, StrideV;
    public long Pts;
    public int Keyframe;

    /// <summary>Copies an I420 picture's planes into tightly packed buffers (Y: Width×Height, U and V a quarter each).</summary>
    public readonly void CopyPlanesTo(Span<byte> y, Span<byte> u, Span<byte> v)
    {
        for (var r = 0; r < Height; r++) new ReadOnlySpan<byte>(Y + r * StrideY, Width).CopyTo(y[(r * Width)..]);
        for (var r = 0; r < Height / 2; r++)
        {
            new ReadOnlySpan<byte>(U + r * StrideU, Width / 2).CopyTo(u[(r * Width / 2)..]);
            new ReadOnlySpan<byte>(V + r * StrideV, Width / 2).CopyTo(v[(r * Width / 2)..]);
        }
    }
}

/// <summary>The functions of libsightline_codec (native/sightline_codec.c).</summary>
internal static unsafe partial class Interop
{
    private const string Library = "sightline_codec";

    [LibraryImport(Library, EntryPoint = "sl_version")] internal static partial int Version();
    [LibraryImport(Library, EntryPoint = "sl_error_text")] internal static partial void ErrorText(int code, byte* buffer, int size);
    [LibraryImport(Library, EntryPoint = "sl_decoder_open", StringMarshalling = StringMarshalling.Utf8)] internal static partial nint DecoderOpen(string name, int lowDelay);
    [LibraryImport(Library, EntryPoint = "sl_decoder_send")] internal static partial int DecoderSend(nint decoder, byte* data, int size, long pts);
    [LibraryImport(Library, EntryPoint = "sl_decoder_receive")] internal static partial int DecoderReceive(nint decoder, Picture* picture);
    [LibraryImport(Library, EntryPoint = "sl_decoder_close")] internal static partial void DecoderClose(nint decoder);
    [LibraryImport(Library, EntryPoint = "sl_encoder_open", StringMarshalling = StringMarshalling.Utf8)] internal static partial nint EncoderOpen(string name, int width, int height, int fps, int bitrate, int bufferMs, int level);
    [LibraryImport(Library, EntryPoint = "sl_encoder_set_bitrate")] internal static partial int EncoderSetBitrate(nint encoder, int bitrate);
    [LibraryImport(Library, EntryPoint = "sl_encoder_send")] internal static partial int EncoderSend(nint encoder, byte* y, byte* u, byte* v, int ly, int lu, int lv, long pts, int keyframe);
    [LibraryImport(Library, EntryPoint = "sl_encoder_receive")] internal static partial int EncoderReceive(nint encoder, byte** data, int* size, int* keyframe, long* pts);
    [LibraryImport(Library, EntryPoint = "sl_encoder_close")] internal static partial void EncoderClose(nint encoder);
    [LibraryImport(Library, EntryPoint = "sl_scaler_open")] internal static partial nint ScalerOpen(int width, int height);
    [LibraryImport(Library, EntryPoint = "sl_scaler_scale")] internal static partial int ScalerScale(nint scaler, Picture* input, Picture* output);
    [LibraryImport(Library, EntryPoint = "sl_scaler_close")] internal static partial void ScalerClose(nint scaler);
    [LibraryImport(Library, EntryPoint = "sl_audio_open", StringMarshalling = StringMarshalling.Utf8)] internal static partial nint AudioOpen(string decoder, byte* config, int configSize, int channels, int bitrate);
    [LibraryImport(Library, EntryPoint = "sl_audio_send")] internal static partial int AudioSend(nint audio, byte* data, int size);
    [LibraryImport(Library, EntryPoint = "sl_audio_receive")] internal static partial int AudioReceive(nint audio, byte** data, int* size);
    [LibraryImport(Library, EntryPoint = "sl_audio_close")] internal static partial void AudioClose(nint audio);
    [LibraryImport(Library, EntryPoint = "sl_audio_buffered")] internal static partial int AudioBuffered(nint audio);
    [LibraryImport(Library, EntryPoint = "sl_pcm_open", StringMarshalling = StringMarshalling.Utf8)] internal static partial nint PcmOpen(string decoder, byte* config, int configSize, int sampleRate, int channels);
    [LibraryImport(Library, EntryPoint = "sl_pcm_send")] internal static partial int PcmSend(nint pcm, byte* data, int size);
    [LibraryImport(Library, EntryPoint = "sl_pcm_read")] internal static partial int PcmRead(nint pcm, short* output, int max);
    [LibraryImport(Library, EntryPoint = "sl_pcm_available")] internal static partial int PcmAvailable(nint pcm);
    [LibraryImport(Library, EntryPoint = "sl_pcm_close")] internal static partial void PcmClose(nint pcm);
    [LibraryImport(Library, EntryPoint = "sl_aac_open")] internal static partial nint AacOpen(int bitrate);
    [LibraryImport(Library, EntryPoint = "sl_aac_frame_size")] internal static partial int AacFrameSize(nint aac);
    [LibraryImport(Library, EntryPoint = "sl_aac_config")] internal static partial int AacConfig(nint aac, byte** data, int* size);
    [LibraryImport(Library, EntryPoint = "sl_aac_send")] internal static partial int AacSend(nint aac, short* samples, int count);
    [LibraryImport(Library, EntryPoint = "sl_aac_receive")] internal static partial int AacReceive(nint aac, byte** data, int* size, long* pts);
    [LibraryImport(Library, EntryPoint = "sl_aac_close")] internal static partial void AacClose(nint aac);
}
