namespace Sightline.Codecs;

/// <summary>A codec could not be opened or failed; the message names what to install when the library is missing.</summary>
public sealed class CodecException(string message, Exception? inner = null) : Exception(message, inner)
{
    public const string MissingLibrary =
        "the FFmpeg layer libsightline_codec.so is not available: install gcc, pkg-config, libavcodec-dev, libavformat-dev, libavutil-dev, libswscale-dev and libswresample-dev (Debian), then build again (./run and ./test do both)";

    internal static unsafe string Describe(int code)
    {
        var buffer = stackalloc byte[256];
        Interop.ErrorText(code, buffer, 256);
        return new string((sbyte*)buffer);
    }

    /// <summary>Runs a native call, turning a missing library into a clear message.</summary>
    internal static T Guard<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (DllNotFoundException e)
        {
            throw new CodecException(MissingLibrary, e);
        }
        catch (EntryPointNotFoundException e)
        {
            // A library built from older sources (before a function was added): build it again.
            throw new CodecException(MissingLibrary, e);
        }
    }
}
