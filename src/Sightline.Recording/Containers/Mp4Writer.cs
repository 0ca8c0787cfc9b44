using System.Buffers.Binary;
using System.Text;
using Sightline.Rtp.Packetization;

namespace Sightline.Recording.Containers;

/// <summary>One track of an MP4 file: codec, timescale, and what its sample entry needs.</summary>
/// <param name="ParameterSets">H.264: SPS then PPS; H.265: VPS, SPS, PPS (NAL units without start codes).</param>
/// <param name="AudioConfig">AAC: the AudioSpecificConfig.</param>
public sealed record Mp4Track(MediaCodec Codec, int Timescale, int Width = 0, int Height = 0, IReadOnlyList<byte[]>? ParameterSets = null, byte[]? AudioConfig = null, int Channels = 1, int SampleRate = 0)
{
    public bool IsVideo => Codec is MediaCodec.H264 or MediaCodec.H265 or MediaCodec.MJPEG or MediaCodec.VP8;
}

/// <summary>
/// A fragmented MP4 file (ISO/IEC 14496-12 with the §8.8 movie fragments) written as samples arrive: the movie header
/// first, then one fragment (moof + mdat) at each video keyframe once a second is buffered, and at the latest every
/// <see cref="MaxFragment"/>. Each fragment is flushed to disk when written, so a crash or <c>kill -9</c> leaves a file
/// that plays up to its last fragment. <see cref="Finish"/> writes the last fragment and the total duration.
/// </summary>
/// <remarks>H.264 and H.265 samples are 4-byte length-prefixed NAL units (as the depacketizers hand them); AAC raw
/// access units; G.711 and Opus as they arrive in RTP.</remarks>
public sealed class Mp4Writer : IMediaFileWriter
{
    public static readonly TimeSpan MaxFragment = TimeSpan.FromSeconds(2);
    public const int MovieTimescale = 1000;

    private readonly Stream _out;
    private readonly IReadOnlyList<Mp4Track> _tracks;
    private readonly TrackState[] _state;
    private readonly int _videoTrack;
    private long _mvhdDurationOffset, _mehdDurationOffset;
    private uint _sequence;
    private bool _finished;

    private sealed class TrackState
    {
        public readonly MemoryStream Data = new();
        public readonly List<(int Size, long Duration, bool Sync, int CompositionOffset)> Samples = [];
        // The newest sample waits for the next one: its duration is the gap to it.
        public byte[]? Held;
        public long HeldTime;
        public long HeldPresentation;
        public bool HeldSync;
        public long LastDuration;
        public long NextDecodeTime = -1;
        public long End;
        // Sum of the durations of Samples, kept as they are added.
        public long Buffered;
    }

    public Mp4Writer(Stream output, IReadOnlyList<Mp4Track> tracks)
    {
        if (tracks.Count == 0) throw new ArgumentException("an MP4 file needs a track", nameof(tracks));
        _out = output;
        _tracks = tracks;
        _state = [.. tracks.Select(_ => new TrackState())];
        _videoTrack = tracks.ToList().FindIndex(t => t.IsVideo);
        WriteHeader();
    }

    public long BytesWritten => _out.Position;
    public int Fragments => (int)_sequence;

    /// <summary>Duration written so far in seconds (the longest track, fragments on disk).</summary>
    public double DurationSeconds => _tracks.Select((t, i) => (double)_state[i].End / t.Timescale).DefaultIfEmpty(0).Max();

    /// <summary>Adds a sample; <paramref name="decodeTime"/> is in the track's timescale, from 0 at the file's start.</summary>
    public void Write(int track, ReadOnlySpan<byte> sample, long decodeTime, bool sync) => Write(track, sample, decodeTime, decodeTime, sync);

    /// <summary>
    /// Adds a sample shown at <paramref name="presentationTime"/>: the difference to <paramref name="decodeTime"/> is its
    /// <c>sample_composition_time_offset</c> (§8.8.8; version 1, signed, so a presentation time is kept exactly even
    /// where the decode time had to be moved forward).
    /// </summary>
    public void Write(int track, ReadOnlySpan<byte> sample, long decodeTime, long presentationTime, bool sync)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        var s = _state[track];
        if (s.Held is not null)
        {
            var duration = Math.Max(1, decodeTime - s.HeldTime);
            if (decodeTime <= s.HeldTime) decodeTime = s.HeldTime + 1; // never go back in time
            Commit(s, duration);
        }
        s.Held = sample.ToArray();
        s.HeldTime = decodeTime;
        s.HeldPresentation = presentationTime;
        s.HeldSync = sync || !_tracks[track].IsVideo;
        if (ShouldFlush(track, decodeTime, sync)) WriteFragment();
    }

    private static void Commit(TrackState s, long duration)
    {
        if (s.NextDecodeTime < 0) s.NextDecodeTime = s.HeldTime;
        s.Data.Write(s.Held!);
        var offset = (int)Math.Clamp(s.HeldPresentation - s.HeldTime, int.MinValue, int.MaxValue);
        s.Samples.Add((s.Held!.Length, duration, s.HeldSync, offset));
        s.Buffered += duration;
        s.LastDuration = duration;
        s.Held = null;
    }

    // A fragment starts at a video keyframe once a second is buffered, or after MaxFragment whatever comes.
    private bool ShouldFlush(int track, long time, bool sync)
    {
        var buffered = 0.0;
        for (var i = 0; i < _state.Length; i++)
        {
            var st = _state[i];
            buffered = Math.Max(buffered, (double)st.Buffered / _tracks[i].Timescale);
        }
        if (buffered >= MaxFragment.TotalSeconds) return true;
        return track == _videoTrack && sync && buffered >= 1.0;
    }

    /// <summary>Writes what is buffered (the last sample of each track with the duration of the one before) and the total duration.</summary>
    public void Finish()
    {
        if (_finished) return;
        foreach (var s in _state)
        {
            if (s.Held is not null) Commit(s, s.LastDuration > 0 ? s.LastDuration : 1);
        }
        WriteFragment();
        _finished = true;
        var ms = (ulong)Math.Round(DurationSeconds * MovieTimescale);
        var end = _out.Position;
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(b, (uint)ms);
        _out.Position = _mvhdDurationOffset;
        _out.Write(b[..4]);
        BinaryPrimitives.WriteUInt64BigEndian(b, ms);
        _out.Position = _mehdDurationOffset;
        _out.Write(b);
        _out.Position = end;
        Sync();
    }

    private void WriteFragment()
    {
        if (_state.All(s => s.Samples.Count == 0)) return;
        _sequence++;
        var moof = new BoxWriter();
        moof.Start("moof");
        moof.Start("mfhd");
        moof.FullHeader(0, 0);
        moof.U32(_sequence);
        moof.End();
        var dataOffsetFields = new List<(long Field, int Track)>();
        for (var i = 0; i < _state.Length; i++)
        {
            var s = _state[i];
            if (s.Samples.Count == 0) continue;
            moof.Start("traf");
            moof.Start("tfhd");
            moof.FullHeader(0, 0x020000); // default-base-is-moof
            moof.U32((uint)(i + 1));
            moof.End();
            moof.Start("tfdt");
            moof.FullHeader(1, 0);
            moof.U64((ulong)s.NextDecodeTime);
            moof.End();
            moof.Start("trun");
            // Composition offsets only in a run that has one (a stream with B-frames), as signed values (version 1).
            var reordered = false;
            foreach (var sample in s.Samples) reordered |= sample.CompositionOffset != 0;
            moof.FullHeader(reordered ? (byte)1 : (byte)0, 0x000001 | 0x000100 | 0x000200 | 0x000400 | (reordered ? 0x000800u : 0));
            moof.U32((uint)s.Samples.Count);
            dataOffsetFields.Add((moof.Position, i));
            moof.U32(0); // data offset, patched below
            foreach (var (size, duration, sync, compositionOffset) in s.Samples)
            {
                moof.U32((uint)duration);
                moof.U32((uint)size);
                moof.U32(sync ? 0x02000000u : 0x01010000u); // depends on nothing / non-sync, depends on others
                if (reordered) moof.U32((uint)compositionOffset);
            }
            moof.End();
            moof.End();
        }
        moof.End();
        var header = moof.ToArray();
        // Each track's data follows in the mdat in track order; offsets count from the moof's first byte.
        var offset = header.Length + 8;
        foreach (var (field, track) in dataOffsetFields)
        {
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan((int)field), offset);
            offset += (int)_state[track].Data.Length;
        }
        _out.Write(header);
        Span<byte> mdat = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(mdat, (uint)(offset - header.Length));
        "mdat"u8.CopyTo(mdat[4..]);
        _out.Write(mdat);
        foreach (var (_, track) in dataOffsetFields)
        {
            var s = _state[track];
            s.Data.Position = 0;
            s.Data.CopyTo(_out);
            s.End = s.NextDecodeTime + s.Buffered;
            s.NextDecodeTime = s.End;
            s.Data.SetLength(0);
            s.Samples.Clear();
            s.Buffered = 0;
        }
        Sync();
    }

    private void Sync()
    {
        if (_out is FileStream f) f.Flush(flushToDisk: true);
        else _out.Flush();
    }

    private void WriteHeader()
    {
        var w = new BoxWriter();
        w.Start("ftyp");
        w.Ascii("isom");
        w.U32(0x200);
        foreach (var brand in new[] { "isom", "iso6", "mp41" }) w.Ascii(brand);
        if (_tracks.Any(t => t.Codec == MediaCodec.H264)) w.Ascii("avc1");
        w.End();
        w.Start("moov");
        w.Start("mvhd");
        w.FullHeader(0, 0);
        w.U32(0);
        w.U32(0);
        w.U32(MovieTimescale);
        _mvhdDurationOffset = w.Position;
        w.U32(0);
        w.U32(0x00010000);
        w.U16(0x0100);
        w.Zeros(10);
        Matrix(w);
        w.Zeros(24);
        w.U32((uint)(_tracks.Count + 1));
        w.End();
        w.Start("mvex");
        w.Start("mehd");
        w.FullHeader(1, 0);
        _mehdDurationOffset = w.Position;
        w.U64(0);
        w.End();
        for (var i = 0; i < _tracks.Count; i++)
        {
            w.Start("trex");
            w.FullHeader(0, 0);
            w.U32((uint)(i + 1));
            w.U32(1);
            w.U32(0);
            w.U32(0);
            w.U32(0);
            w.End();
        }
        w.End();
        for (var i = 0; i < _tracks.Count; i++) Trak(w, _tracks[i], i + 1);
        w.End();
        _out.Write(w.ToArray());
        Sync();
    }

    private static void Matrix(BoxWriter w)
    {
        foreach (var v in new uint[] { 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000 }) w.U32(v);
    }

    private static void Trak(BoxWriter w, Mp4Track t, int id)
    {
        w.Start("trak");
        w.Start("tkhd");
        w.FullHeader(0, 3);
        w.U32(0);
        w.U32(0);
        w.U32((uint)id);
        w.U32(0);
        w.U32(0);
        w.Zeros(8);
        w.U16(0);
        w.U16(0);
        w.U16(t.IsVideo ? (ushort)0 : (ushort)0x0100);
        w.U16(0);
        Matrix(w);
        w.U32((uint)t.Width << 16);
        w.U32((uint)t.Height << 16);
        w.End();
        w.Start("mdia");
        w.Start("mdhd");
        w.FullHeader(0, 0);
        w.U32(0);
        w.U32(0);
        w.U32((uint)t.Timescale);
        w.U32(0);
        w.U16(0x55C4); // "und"
        w.U16(0);
        w.End();
        w.Start("hdlr");
        w.FullHeader(0, 0);
        w.U32(0);
        w.Ascii(t.IsVideo ? "vide" : "soun");
        w.Zeros(12);
        w.Bytes(Encoding.ASCII.GetBytes(t.IsVideo ? "Sightline video\0" : "Sightline audio\0"));
        w.End();
        w.Start("minf");
        if (t.IsVideo)
        {
            w.Start("vmhd");
            w.FullHeader(0, 1);
            w.Zeros(8);
            w.End();
        }
        else
        {
            w.Start("smhd");
            w.FullHeader(0, 0);
            w.Zeros(4);
            w.End();
        }
        w.Start("dinf");
        w.Start("dref");
        w.FullHeader(0, 0);
        w.U32(1);
        w.Start("url ");
        w.FullHeader(0, 1);
        w.End();
        w.End();
        w.End();
        w.Start("stbl");
        w.Start("stsd");
        w.FullHeader(0, 0);
        w.U32(1);
        SampleEntry(w, t);
        w.End();
        foreach (var empty in new[] { "stts", "stsc", "stco" })
        {
            w.Start(empty);
            w.FullHeader(0, 0);
            w.U32(0);
            w.End();
        }
        w.Start("stsz");
        w.FullHeader(0, 0);
        w.U32(0);
        w.U32(0);
        w.End();
        w.End();
        w.End();
        w.End();
        w.End();
    }

    private static void SampleEntry(BoxWriter w, Mp4Track t)
    {
        switch (t.Codec)
        {
            case MediaCodec.H264 or MediaCodec.H265:
                w.Start(t.Codec == MediaCodec.H264 ? "avc1" : "hvc1");
                w.Zeros(6);
                w.U16(1);
                w.Zeros(16);
                w.U16((ushort)t.Width);
                w.U16((ushort)t.Height);
                w.U32(0x00480000);
                w.U32(0x00480000);
                w.U32(0);
                w.U16(1);
                w.Zeros(32);
                w.U16(0x0018);
                w.U16(0xFFFF);
                if (t.Codec == MediaCodec.H264) AvcC(w, t.ParameterSets ?? []);
                else HvcC(w, t.ParameterSets ?? []);
                w.End();
                break;
            case MediaCodec.MJPEG:
                // JPEG in MP4: an MPEG-4 visual entry whose decoder config names JPEG (objectTypeIndication 0x6C).
                w.Start("mp4v");
                w.Zeros(6);
                w.U16(1);
                w.Zeros(16);
                w.U16((ushort)t.Width);
                w.U16((ushort)t.Height);
                w.U32(0x00480000);
                w.U32(0x00480000);
                w.U32(0);
                w.U16(1);
                w.Zeros(32);
                w.U16(0x0018);
                w.U16(0xFFFF);
                w.Start("esds");
                w.FullHeader(0, 0);
                w.Bytes(Descriptor(3, [0, 0, 0, .. Descriptor(4, [0x6C, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), .. Descriptor(6, [0x02])]));
                w.End();
                w.End();
                break;
            case MediaCodec.AAC:
                AudioEntry(w, "mp4a", t.Channels, t.SampleRate);
                Esds(w, t.AudioConfig ?? []);
                w.End();
                break;
            case MediaCodec.PCMU or MediaCodec.PCMA:
                AudioEntry(w, t.Codec == MediaCodec.PCMU ? "ulaw" : "alaw", t.Channels, t.SampleRate);
                w.End();
                break;
            case MediaCodec.Opus:
                AudioEntry(w, "Opus", t.Channels, 48000);
                w.Start("dOps");
                w.U8(0);
                w.U8((byte)t.Channels);
                w.U16(312);
                w.U32(48000);
                w.U16(0);
                w.U8(0);
                w.End();
                w.End();
                break;
            default:
                throw new NotSupportedException($"{t.Codec} is not stored in MP4 here");
        }
    }

    private static void AudioEntry(BoxWriter w, string fourcc, int channels, int sampleRate)
    {
        w.Start(fourcc);
        w.Zeros(6);
        w.U16(1);
        w.Zeros(8);
        w.U16((ushort)channels);
        w.U16(16);
        w.U16(0);
        w.U16(0);
        w.U32((uint)Math.Min(sampleRate, 65535) << 16);
    }

    // AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1): profile, compatibility and level from the SPS.
    private static void AvcC(BoxWriter w, IReadOnlyList<byte[]> sets)
    {
        var sps = sets.Where(n => n.Length > 3 && (n[0] & 0x1f) == 7).ToList();
        var pps = sets.Where(n => n.Length > 0 && (n[0] & 0x1f) == 8).ToList();
        w.Start("avcC");
        w.U8(1);
        w.U8(sps.Count > 0 ? sps[0][1] : (byte)66);
        w.U8(sps.Count > 0 ? sps[0][2] : (byte)0);
        w.U8(sps.Count > 0 ? sps[0][3] : (byte)31);
        w.U8(0xFF);
        w.U8((byte)(0xE0 | sps.Count));
        foreach (var n in sps)
        {
            w.U16((ushort)n.Length);
            w.Bytes(n);
        }
        w.U8((byte)pps.Count);
        foreach (var n in pps)
        {
            w.U16((ushort)n.Length);
            w.Bytes(n);
        }
        w.End();
    }

    // HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1): the 12 bytes of general profile_tier_level are the
    // SPS's, right after its first byte (VPS id, sub-layer count, temporal nesting); 4:2:0 8-bit declared.
    private static void HvcC(BoxWriter w, IReadOnlyList<byte[]> sets)
    {
        var sps = sets.FirstOrDefault(n => n.Length > 15 && (n[0] >> 1 & 0x3f) == 33);
        var ptl = new byte[12];
        if (sps is not null)
        {
            var rbsp = Sightline.Rtp.Codecs.NalUnits.ToRbsp(sps.AsSpan(2));
            if (rbsp.Length >= 13) rbsp.AsSpan(1, 12).CopyTo(ptl);
        }
        w.Start("hvcC");
        w.U8(1);
        w.Bytes(ptl);
        w.U16(0xF000);
        w.U8(0xFC);
        w.U8(0xFD);
        w.U8(0xF8);
        w.U8(0xF8);
        w.U16(0);
        w.U8(0x0F);
        var groups = new[] { 32, 33, 34 }.Select(type => (type, nals: sets.Where(n => n.Length > 1 && (n[0] >> 1 & 0x3f) == type).ToList())).Where(g => g.nals.Count > 0).ToList();
        w.U8((byte)groups.Count);
        foreach (var (type, nals) in groups)
        {
            w.U8((byte)(0x80 | type));
            w.U16((ushort)nals.Count);
            foreach (var n in nals)
            {
                w.U16((ushort)n.Length);
                w.Bytes(n);
            }
        }
        w.End();
    }

    // ES_Descriptor (ISO/IEC 14496-1 §7.2.6.5) with the AAC DecoderSpecificInfo.
    private static void Esds(BoxWriter w, byte[] config)
    {
        w.Start("esds");
        w.FullHeader(0, 0);
        var dsi = Descriptor(5, config);
        var dcd = Descriptor(4, [0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, .. dsi]);
        var sl = Descriptor(6, [0x02]);
        w.Bytes(Descriptor(3, [0, 0, 0, .. dcd, .. sl]));
        w.End();
    }

    private static byte[] Descriptor(byte tag, byte[] body) =>
        [tag, (byte)(0x80 | body.Length >> 21 & 0x7f), (byte)(0x80 | body.Length >> 14 & 0x7f), (byte)(0x80 | body.Length >> 7 & 0x7f), (byte)(body.Length & 0x7f), .. body];

    public void Dispose()
    {
        foreach (var s in _state) s.Data.Dispose();
    }

    /// <summary>Boxes (size + type, then content) written into memory; sizes filled in when each box ends.</summary>
    private sealed class BoxWriter
    {
        private readonly MemoryStream _ms = new();
        private readonly Stack<long> _open = new();
        private readonly byte[] _b = new byte[8];

        public long Position => _ms.Position;

        public void Start(string type)
        {
            _open.Push(_ms.Position);
            U32(0);
            Ascii(type);
        }

        public void End()
        {
            var start = _open.Pop();
            var end = _ms.Position;
            _ms.Position = start;
            U32((uint)(end - start));
            _ms.Position = end;
        }

        public void FullHeader(byte version, uint flags) => U32((uint)version << 24 | flags & 0xFFFFFF);
        public void U8(byte v) => _ms.WriteByte(v);
        public void U16(ushort v) { BinaryPrimitives.WriteUInt16BigEndian(_b, v); _ms.Write(_b, 0, 2); }
        public void U32(uint v) { BinaryPrimitives.WriteUInt32BigEndian(_b, v); _ms.Write(_b, 0, 4); }
        public void U64(ulong v) { BinaryPrimitives.WriteUInt64BigEndian(_b, v); _ms.Write(_b, 0, 8); }
        public void Ascii(string s) => _ms.Write(Encoding.ASCII.GetBytes(s));
        public void Bytes(ReadOnlySpan<byte> b) => _ms.Write(b);
        public void Zeros(int n) { for (var i = 0; i < n; i++) _ms.WriteByte(0); }
        public byte[] ToArray() => _ms.ToArray();
    }
}
