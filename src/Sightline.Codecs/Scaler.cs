namespace Sightline.Codecs;

/// <summary>Scales any decoded picture to I420 at a fixed size (libswscale, bilinear).</summary>
public sealed unsafe class Scaler : IDisposable
{
    private nint _handle;

    public Scaler(int width, int height)
    {
        _handle = CodecException.Guard(() => Interop.ScalerOpen(width, height));
        if (_handle == 0) throw new CodecException($"cannot make a {width}x{height} scaler");
    }

    public void Scale(in Picture input, PictureHandler onPicture)
    {
        Picture output;
        fixed (Picture* p = &input)
        {
            var r = Interop.ScalerScale(_handle, p, &output);
            if (r < 0) throw new CodecException("scale failed: " + CodecException.Describe(r));
        }
        onPicture(in output);
    }

    public void Dispose()
    {
        if (_handle != 0) Interop.ScalerClose(_handle);
        _handle = 0;
    }
}
