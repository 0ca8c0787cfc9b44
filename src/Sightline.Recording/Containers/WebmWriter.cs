using System.Buffers.Binary;
using System.Text;
using Sightline.Rtp.Packetization;

namespace Sightline.Recording.Containers;

/// <summary>
/// A WebM file (Matroska subset: EBML header, a live Segment of unknown size, Info, Tracks, then Clusters) for VP8 video
/// with Opus audio, written as frames arrive. A Cluster starts at each video keyframe once a second is buffered, and at
/// the latest every 2 s; each is written whole and flushed to disk, so a crash leaves a file that plays up to its last
/// cluster. <see cref="Finish"/> writes the last cluster and the duration.
/// </summary>
public sealed class WebmWriter : IMediaFileWriter
{
    private readonly Stream _out;
    private readonly IReadOnlyList<Mp4Track> _tracks;
    private readonly MemoryStream _cluster = new();
    private readonly int _videoTrack;
    private long _clusterStartMs = -1;
    private long _lastMs;
    private long _durationOffset;
    private bool _finished;

    public WebmWriter(Stream output, IReadOnlyList<Mp4Track> tracks)
    {
        _out = output;
        _tracks = tracks;
        _videoTrack = tracks.ToList().FindIndex(t => t.Codec == MediaCodec.VP8);
        WriteHeader();
    }

    public long BytesWritten => _out.Position;
    public double DurationSeconds => _lastMs / 1000.0;

    /// <param name="time">In the track's timescale (kept in milliseconds in the file).</param>
    public void Write(int track, ReadOnlySpan<byte> sample, long time, bool sync)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        var ms = time * 1000 / _tracks[track].Timescale;
        var isVideo = track == _videoTrack;
        if (_clusterStartMs < 0 || ms - _clusterStartMs >= 2000 || ms - _clusterStartMs >= 1000 && isVideo && sync || ms < _clusterStartMs)
        {
            FlushCluster();
            _clusterStartMs = ms;
        }
        // SimpleBlock: track number (EBML varint), timecode relative to the cluster (int16), flags (keyframe 0x80).
        var block = new byte[4 + sample.Length];
        block[0] = (byte)(0x80 | (track + 1));
        BinaryPrimitives.WriteInt16BigEndian(block.AsSpan(1), (short)(ms - _clusterStartMs));
        block[3] = (byte)(sync || !isVideo ? 0x80 : 0x00);
        sample.CopyTo(block.AsSpan(4));
        Element(_cluster, 0xA3, block);
        _lastMs = Math.Max(_lastMs, ms);
    }

    private void FlushCluster()
    {
        if (_cluster.Length == 0) return;
        var body = new MemoryStream();
        Element(body, 0xE7, Uint((ulong)_clusterStartMs)); // Timecode
        _cluster.Position = 0;
        _cluster.CopyTo(body);
        Element(_out, 0x1F43B675, body.ToArray()); // Cluster
        _cluster.SetLength(0);
        Sync();
    }

    public void Finish()
    {
        if (_finished) return;
        FlushCluster();
        _finished = true;
        var end = _out.Position;
        _out.Position = _durationOffset;
        Span<byte> d = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(d, _lastMs + 1000.0 / 25);
        _out.Write(d);
        _out.Position = end;
        Sync();
    }

    private void Sync()
    {
        if (_out is FileStream f) f.Flush(flushToDisk: true);
        else _out.Flush();
    }

    private void WriteHeader()
    {
        var ebml = new MemoryStream();
        Element(ebml, 0x4286, Uint(1)); // EBMLVersion
        Element(ebml, 0x42F7, Uint(1)); // EBMLReadVersion
        Element(ebml, 0x42F2, Uint(4)); // EBMLMaxIDLength
        Element(ebml, 0x42F3, Uint(8)); // EBMLMaxSizeLength
        Element(ebml, 0x4282, Encoding.ASCII.GetBytes("webm")); // DocType
        Element(ebml, 0x4287, Uint(4)); // DocTypeVersion
        Element(ebml, 0x4285, Uint(2)); // DocTypeReadVersion
        Element(_out, 0x1A45DFA3, ebml.ToArray());
        // Segment of unknown size: clusters follow as they come.
        Id(_out, 0x18538067);
        _out.Write([0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        var info = new MemoryStream();
        Element(info, 0x2AD7B1, Uint(1_000_000)); // TimecodeScale: 1 ms
        Element(info, 0x4D80, Encoding.ASCII.GetBytes("Sightline")); // MuxingApp
        Element(info, 0x5741, Encoding.ASCII.GetBytes("Sightline")); // WritingApp
        var durationInInfo = info.Position + 3; // after the Duration element's id (2 bytes) and size (1 byte)
        Element(info, 0x4489, new byte[8]); // Duration (float, ms), written at the end
        var infoStart = _out.Position;
        Element(_out, 0x1549A966, info.ToArray());
        _durationOffset = infoStart + 4 + SizeLength(info.Length) + durationInInfo;
        var tracks = new MemoryStream();
        for (var i = 0; i < _tracks.Count; i++)
        {
            var t = _tracks[i];
            var entry = new MemoryStream();
            Element(entry, 0xD7, Uint((ulong)(i + 1))); // TrackNumber
            Element(entry, 0x73C5, Uint((ulong)(i + 1))); // TrackUID
            if (t.Codec == MediaCodec.VP8)
            {
                Element(entry, 0x83, Uint(1)); // TrackType video
                Element(entry, 0x86, Encoding.ASCII.GetBytes("V_VP8"));
                var video = new MemoryStream();
                Element(video, 0xB0, Uint((ulong)t.Width));
                Element(video, 0xBA, Uint((ulong)t.Height));
                Element(entry, 0xE0, video.ToArray());
            }
            else
            {
                Element(entry, 0x83, Uint(2)); // TrackType audio
                Element(entry, 0x86, Encoding.ASCII.GetBytes("A_OPUS"));
                // OpusHead (RFC 7845 §5.1) as CodecPrivate.
                var head = new byte[19];
                "OpusHead"u8.CopyTo(head);
                head[8] = 1;
                head[9] = (byte)t.Channels;
                BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(10), 312);
                BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(12), 48000);
                Element(entry, 0x63A2, head);
                var audio = new MemoryStream();
                var rate = new byte[8];
                BinaryPrimitives.WriteDoubleBigEndian(rate, 48000);
                Element(audio, 0xB5, rate);
                Element(audio, 0x9F, Uint((ulong)t.Channels));
                Element(entry, 0xE1, audio.ToArray());
            }
            Element(tracks, 0xAE, entry.ToArray());
        }
        Element(_out, 0x1654AE6B, tracks.ToArray());
        Sync();
    }

    private static byte[] Uint(ulong v)
    {
        var n = 1;
        while (n < 8 && v >> (8 * n) != 0) n++;
        var b = new byte[n];
        for (var i = 0; i < n; i++) b[n - 1 - i] = (byte)(v >> (8 * i));
        return b;
    }

    private static void Id(Stream s, uint id)
    {
        if (id > 0xFFFFFF) s.WriteByte((byte)(id >> 24));
        if (id > 0xFFFF) s.WriteByte((byte)(id >> 16));
        if (id > 0xFF) s.WriteByte((byte)(id >> 8));
        s.WriteByte((byte)id);
    }

    private static int SizeLength(long size)
    {
        var n = 1;
        while (n < 8 && size >= (1L << (7 * n)) - 1) n++;
        return n;
    }

    private static void Element(Stream s, uint id, ReadOnlySpan<byte> body)
    {
        Id(s, id);
        // Data size as an EBML varint: a marker bit in the first byte tells the length.
        var n = SizeLength(body.Length);
        for (var i = n - 1; i >= 0; i--)
        {
            var b = (byte)(body.Length >> (8 * i));
            if (i == n - 1) b |= (byte)(0x80 >> (n - 1));
            s.WriteByte(b);
        }
        s.Write(body);
    }

    public void Dispose() => _cluster.Dispose();
}
