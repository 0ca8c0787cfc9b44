namespace Sightline.Rtp.Packetization;

/// <summary>A reusable, bounded byte buffer where a frame is assembled; past <see cref="MaxSize"/> it refuses more.</summary>
public sealed class FrameBuilder(int maxSize)
{
    private byte[] _buffer = new byte[Math.Min(maxSize, 64 * 1024)];

    public int MaxSize { get; } = maxSize;
    public int Length { get; private set; }
    public bool Overflowed { get; private set; }
    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    public bool Append(ReadOnlySpan<byte> data)
    {
        if (Overflowed) return false;
        if (Length + data.Length > MaxSize)
        {
            Overflowed = true;
            return false;
        }
        Ensure(Length + data.Length);
        data.CopyTo(_buffer.AsSpan(Length));
        Length += data.Length;
        return true;
    }

    public bool Append(byte b) => Append([b]);

    /// <summary>Appends a 4-byte big-endian length then the bytes (one NAL unit of an access unit).</summary>
    public bool AppendLengthPrefixed(ReadOnlySpan<byte> nal)
    {
        Span<byte> prefix = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(prefix, (uint)nal.Length);
        return Append(prefix) && Append(nal);
    }

    /// <summary>Rewrites a previously written 4-byte length at <paramref name="offset"/>.</summary>
    public void PatchLength(int offset, int length) =>
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(offset), (uint)length);

    public byte[] ToArray() => _buffer.AsSpan(0, Length).ToArray();

    public void Reset()
    {
        Length = 0;
        Overflowed = false;
    }

    private void Ensure(int size)
    {
        if (size <= _buffer.Length) return;
        var grown = new byte[Math.Min(MaxSize, Math.Max(size, _buffer.Length * 2))];
        _buffer.AsSpan(0, Length).CopyTo(grown);
        _buffer = grown;
    }
}
