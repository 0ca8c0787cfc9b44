using System.Runtime.InteropServices;

namespace Sightline.Codecs;

/// <summary>The libavformat functions of libsightline_codec (native/sightline_format.c), and the structs they fill (ours, not FFmpeg's).</summary>
internal static unsafe partial class Interop
{
    [StructLayout(LayoutKind.Sequential)]
    internal struct InputInfo
    {
        public fixed byte Format[64];
        public long DurationUs, StartUs, BitRate;
        public int Seekable, NoTimestamps, Streams;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct StreamInfo
    {
        public int Kind, CodecId;
        public fixed byte Codec[32];
        public int Width, Height, SampleRate, Channels, TimeBaseNum, TimeBaseDen, FrameRateNum, FrameRateDen;
        public long BitRate;
        public int Profile, Level, ExtradataSize;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct PacketInfo
    {
        public int Stream, Keyframe;
        public long Pts, Dts, Duration;
        public byte* Data;
        public int Size;
    }

    [LibraryImport(Library, EntryPoint = "sl_input_new")] internal static partial nint InputNew();
    [LibraryImport(Library, EntryPoint = "sl_input_interrupt")] internal static partial void InputInterrupt(nint input);
    [LibraryImport(Library, EntryPoint = "sl_input_open", StringMarshalling = StringMarshalling.Utf8)] internal static partial int InputOpen(nint input, string url, string options, int timeoutMs);
    [LibraryImport(Library, EntryPoint = "sl_input_info_get")] internal static partial int InputInfoGet(nint input, InputInfo* info);
    [LibraryImport(Library, EntryPoint = "sl_input_stream")] internal static partial int InputStream(nint input, int index, StreamInfo* info);
    [LibraryImport(Library, EntryPoint = "sl_input_extradata")] internal static partial int InputExtradata(nint input, int index, byte** data);
    [LibraryImport(Library, EntryPoint = "sl_input_read")] internal static partial int InputRead(nint input, int timeoutMs, PacketInfo* packet);
    [LibraryImport(Library, EntryPoint = "sl_input_rewind")] internal static partial int InputRewind(nint input, int timeoutMs);
    [LibraryImport(Library, EntryPoint = "sl_input_log")] internal static partial void InputLog(nint input, byte* buffer, int size);
    [LibraryImport(Library, EntryPoint = "sl_error_kind")] internal static partial int ErrorKind(int code);
    [LibraryImport(Library, EntryPoint = "sl_input_free")] internal static partial void InputFree(nint input);
}
