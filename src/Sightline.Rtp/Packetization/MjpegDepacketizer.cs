using System.Buffers.Binary;
using Sightline.Rtp.Rtp;

namespace Sightline.Rtp.Packetization;

/// <summary>
/// Motion JPEG over RTP (RFC 2435): joins the fragments of a frame and rebuilds the JFIF headers the payload leaves out
/// (quantization tables from Q or in-band §3.1.8, the standard Huffman tables, SOF, DRI, SOS), so each frame is a
/// complete JPEG image.
/// </summary>
public sealed class MjpegDepacketizer : Depacketizer
{
    private readonly FrameBuilder _scan = new(MaxFrameSize);
    private bool _started;
    private uint _timestamp;
    private int _type, _q, _width, _height, _restartInterval;
    private byte[]? _tables;

    public MjpegDepacketizer() : base(90000)
    {
    }

    public override MediaCodec Codec => MediaCodec.MJPEG;

    public override void Push(in RtpPacket packet, ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 8)
        {
            Drop(DropReason.MalformedPayload);
            return;
        }
        var fragmentOffset = (int)(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0xffffff);
        int type = payload[4], q = payload[5], width = payload[6] * 8, height = payload[7] * 8;
        var rest = payload[8..];
        if (type is >= 64 and <= 127)
        {
            if (rest.Length < 4) { Drop(DropReason.MalformedPayload); return; }
            _restartInterval = BinaryPrimitives.ReadUInt16BigEndian(rest);
            rest = rest[4..];
        }
        if ((type & 0x3f) > 1)
        {
            Drop(DropReason.UnsupportedPacketization);
            return;
        }

        if (fragmentOffset == 0)
        {
            if (_started) Drop(DropReason.IncompleteFrame);
            _scan.Reset();
            _started = true;
            _timestamp = packet.Timestamp;
            _type = type;
            _q = q;
            _width = width;
            _height = height;
            if (type < 64) _restartInterval = 0;
            if (q >= 128)
            {
                // Quantization table header (§3.1.8): MBZ, precision, length, tables.
                if (rest.Length < 4) { Drop(DropReason.MalformedPayload); Reset(); return; }
                var precision = rest[1];
                var length = BinaryPrimitives.ReadUInt16BigEndian(rest[2..]);
                if (length > rest.Length - 4 || precision != 0 || length % 64 != 0 || length == 0)
                {
                    if (length != 0 || _tables is null)
                    {
                        Drop(DropReason.MalformedPayload);
                        Reset();
                        return;
                    }
                }
                else
                {
                    _tables = rest.Slice(4, length).ToArray();
                }
                rest = rest[(4 + length)..];
            }
            else
            {
                _tables = MakeTables(q);
            }
        }
        else if (!_started || packet.Timestamp != _timestamp || fragmentOffset != _scan.Length)
        {
            Drop(DropReason.FragmentWithoutStart);
            Reset();
            return;
        }

        if (!_scan.Append(rest))
        {
            Drop(DropReason.FrameTooLarge);
            Reset();
            return;
        }
        if (packet.Marker)
        {
            if (_width == 0 || _height == 0 || _tables is null)
            {
                Drop(DropReason.MalformedPayload);
                Reset();
                return;
            }
            Parameters = Parameters with { Width = _width, Height = _height, Profile = (_type & 1) == 0 ? "4:2:2" : "4:2:0" };
            var image = BuildImage();
            Reset();
            Emit(image, packet.Timestamp, keyframe: true);
        }
    }

    protected override void Reset()
    {
        _scan.Reset();
        _started = false;
    }

    private byte[] BuildImage()
    {
        using var ms = new MemoryStream(_scan.Length + 700);
        void Marker(byte m) { ms.WriteByte(0xff); ms.WriteByte(m); }
        void U16(int v) { ms.WriteByte((byte)(v >> 8)); ms.WriteByte((byte)v); }

        Marker(0xd8); // SOI
        var tables = _tables!;
        var tableCount = tables.Length / 64;
        for (var t = 0; t < Math.Min(tableCount, 2); t++)
        {
            Marker(0xdb);
            U16(67);
            ms.WriteByte((byte)t);
            ms.Write(tables, t * 64, 64);
        }
        var chromaTable = tableCount > 1 ? 1 : 0;

        Marker(0xc0); // SOF0, baseline
        U16(17);
        ms.WriteByte(8);
        U16(_height);
        U16(_width);
        ms.WriteByte(3);
        ms.WriteByte(1); ms.WriteByte((_type & 1) == 0 ? (byte)0x21 : (byte)0x22); ms.WriteByte(0);
        ms.WriteByte(2); ms.WriteByte(0x11); ms.WriteByte((byte)chromaTable);
        ms.WriteByte(3); ms.WriteByte(0x11); ms.WriteByte((byte)chromaTable);

        WriteHuffman(ms, 0x00, DcLumaBits, DcValues);
        WriteHuffman(ms, 0x10, AcLumaBits, AcLumaValues);
        WriteHuffman(ms, 0x01, DcChromaBits, DcValues);
        WriteHuffman(ms, 0x11, AcChromaBits, AcChromaValues);

        if (_restartInterval > 0)
        {
            Marker(0xdd);
            U16(4);
            U16(_restartInterval);
        }

        Marker(0xda); // SOS
        U16(12);
        ms.WriteByte(3);
        ms.WriteByte(1); ms.WriteByte(0x00);
        ms.WriteByte(2); ms.WriteByte(0x11);
        ms.WriteByte(3); ms.WriteByte(0x11);
        ms.WriteByte(0); ms.WriteByte(63); ms.WriteByte(0);

        var scan = _scan.Span;
        ms.Write(scan);
        if (scan.Length < 2 || scan[^2] != 0xff || scan[^1] != 0xd9) Marker(0xd9); // EOI
        return ms.ToArray();
    }

    private static void WriteHuffman(MemoryStream ms, byte classAndId, byte[] bits, byte[] values)
    {
        ms.WriteByte(0xff);
        ms.WriteByte(0xc4);
        var length = 3 + bits.Length + values.Length;
        ms.WriteByte((byte)(length >> 8));
        ms.WriteByte((byte)length);
        ms.WriteByte(classAndId);
        ms.Write(bits);
        ms.Write(values);
    }

    /// <summary>Quantization tables for Q 1–99 (RFC 2435 Appendix A), luma then chroma, in zigzag order.</summary>
    public static byte[] MakeTables(int q)
    {
        var factor = Math.Clamp(q, 1, 99);
        var scale = q < 50 ? 5000 / factor : 200 - factor * 2;
        var tables = new byte[128];
        for (var i = 0; i < 64; i++)
        {
            tables[i] = (byte)Math.Clamp((LumaQuantizer[ZigZag[i]] * scale + 50) / 100, 1, 255);
            tables[64 + i] = (byte)Math.Clamp((ChromaQuantizer[ZigZag[i]] * scale + 50) / 100, 1, 255);
        }
        return tables;
    }

    private static readonly byte[] ZigZag =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];

    // JPEG (ITU T.81) Table K.1 and K.2, natural order.
    private static readonly int[] LumaQuantizer =
    [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ];

    private static readonly int[] ChromaQuantizer =
    [
        17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    ];

    // JPEG (ITU T.81) Annex K.3 standard Huffman tables.
    private static readonly byte[] DcLumaBits = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    private static readonly byte[] DcChromaBits = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
    private static readonly byte[] DcValues = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    private static readonly byte[] AcLumaBits = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];
    private static readonly byte[] AcChromaBits = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];

    private static readonly byte[] AcLumaValues =
    [
        0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08,
        0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
        0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
        0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
        0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
        0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
        0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
    ];

    private static readonly byte[] AcChromaValues =
    [
        0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91,
        0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
        0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
        0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
        0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4,
        0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
        0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
    ];
}
