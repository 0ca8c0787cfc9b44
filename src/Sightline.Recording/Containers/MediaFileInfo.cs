using System.Buffers.Binary;

namespace Sightline.Recording.Containers;

/// <summary>
/// What a file written by <see cref="Mp4Writer"/> or <see cref="WebmWriter"/> holds, read back from its fragments or
/// clusters (a file cut by a crash included: only whole fragments count). Used to finish recordings a crash interrupted.
/// </summary>
public sealed record MediaFileInfo(double DurationSeconds, bool HasVideo, bool HasAudio)
{
    public static MediaFileInfo? Read(string path)
    {
        try
        {
            var data = File.ReadAllBytes(path);
            return path.EndsWith(".webm", StringComparison.OrdinalIgnoreCase) ? ReadWebm(data) : ReadMp4(data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    // ISO BMFF: track kinds and timescales from moov; each moof's tfdt + trun durations, counted when its mdat is whole.
    private static MediaFileInfo? ReadMp4(byte[] d)
    {
        var timescales = new Dictionary<uint, uint>();
        var kinds = new Dictionary<uint, string>();
        var ends = new Dictionary<uint, ulong>();
        var o = 0;
        while (o + 8 <= d.Length)
        {
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(o));
            var type = System.Text.Encoding.ASCII.GetString(d, o + 4, 4);
            if (size < 8 || o + size > d.Length) break; // cut here
            if (type == "moov") ReadMoov(d.AsSpan(o + 8, size - 8), timescales, kinds);
            else if (type == "moof")
            {
                var next = o + size;
                if (next + 8 > d.Length) break;
                var mdat = (int)BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(next));
                if (next + mdat > d.Length) break; // the fragment's media did not all reach the disk
                foreach (var (track, end) in FragmentEnds(d.AsSpan(o + 8, size - 8))) ends[track] = Math.Max(ends.GetValueOrDefault(track), end);
            }
            o += size;
        }
        if (timescales.Count == 0) return null;
        var duration = ends.Select(e => (double)e.Value / Math.Max(1u, timescales.GetValueOrDefault(e.Key, 1u))).DefaultIfEmpty(0).Max();
        return new MediaFileInfo(duration, kinds.ContainsValue("vide"), kinds.ContainsValue("soun"));
    }

    private static IEnumerable<(string Type, int Start, int Size)> Children(ReadOnlySpan<byte> s)
    {
        var list = new List<(string, int, int)>();
        for (var o = 0; o + 8 <= s.Length;)
        {
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(s[o..]);
            if (size < 8 || o + size > s.Length) break;
            list.Add((System.Text.Encoding.ASCII.GetString(s.Slice(o + 4, 4)), o + 8, size - 8));
            o += size;
        }
        return list;
    }

    private static void ReadMoov(ReadOnlySpan<byte> moov, Dictionary<uint, uint> timescales, Dictionary<uint, string> kinds)
    {
        foreach (var (type, start, size) in Children(moov))
        {
            if (type != "trak") continue;
            var trak = moov.Slice(start, size);
            uint id = 0;
            foreach (var (t, s, n) in Children(trak))
            {
                if (t == "tkhd") id = BinaryPrimitives.ReadUInt32BigEndian(trak.Slice(s + 12, 4));
                if (t != "mdia") continue;
                var mdia = trak.Slice(s, n);
                foreach (var (mt, ms, mn) in Children(mdia))
                {
                    if (mt == "mdhd") timescales[id] = BinaryPrimitives.ReadUInt32BigEndian(mdia.Slice(ms + 12, 4));
                    if (mt == "hdlr") kinds[id] = System.Text.Encoding.ASCII.GetString(mdia.Slice(ms + 8, 4));
                }
            }
        }
    }

    private static List<(uint Track, ulong End)> FragmentEnds(ReadOnlySpan<byte> moof)
    {
        var result = new List<(uint, ulong)>();
        foreach (var (type, start, size) in Children(moof))
        {
            if (type != "traf") continue;
            var traf = moof.Slice(start, size);
            uint track = 0;
            ulong time = 0;
            foreach (var (t, s, n) in Children(traf))
            {
                var box = traf.Slice(s, n);
                switch (t)
                {
                    case "tfhd":
                        track = BinaryPrimitives.ReadUInt32BigEndian(box[4..]);
                        break;
                    case "tfdt":
                        time += box[0] == 1 ? BinaryPrimitives.ReadUInt64BigEndian(box[4..]) : BinaryPrimitives.ReadUInt32BigEndian(box[4..]);
                        break;
                    case "trun":
                        // Our runs: data offset, then duration, size, flags per sample (flags 0x000701).
                        var flags = BinaryPrimitives.ReadUInt32BigEndian(box) & 0xFFFFFF;
                        var count = BinaryPrimitives.ReadUInt32BigEndian(box[4..]);
                        var o = 8 + ((flags & 1) != 0 ? 4 : 0) + ((flags & 4) != 0 ? 4 : 0);
                        var per = ((flags & 0x100) != 0 ? 4 : 0) + ((flags & 0x200) != 0 ? 4 : 0) + ((flags & 0x400) != 0 ? 4 : 0) + ((flags & 0x800) != 0 ? 4 : 0);
                        if ((flags & 0x100) == 0) break;
                        for (var i = 0; i < count && o + 4 <= box.Length; i++, o += per) time += BinaryPrimitives.ReadUInt32BigEndian(box[o..]);
                        break;
                }
            }
            result.Add((track, time));
        }
        return result;
    }

    // WebM as WebmWriter writes it: EBML header, Segment of unknown size, Info, Tracks, then whole Clusters.
    private static MediaFileInfo? ReadWebm(byte[] d)
    {
        var o = 0;
        bool video = false, audio = false;
        long lastMs = -1;
        while (o < d.Length)
        {
            if (!TryElement(d, ref o, out var id, out var size, out var body)) break;
            if (id == 0x18538067) { o = body; continue; } // Segment: descend (its size is unknown)
            if (body + size > d.Length) break; // cut here
            if (id == 0x1654AE6B)
            {
                video = d.AsSpan(body, (int)size).IndexOf("V_VP8"u8) >= 0;
                audio = d.AsSpan(body, (int)size).IndexOf("A_OPUS"u8) >= 0;
            }
            else if (id == 0x1F43B675)
            {
                // Cluster: Timecode, then SimpleBlocks with times relative to it.
                var c = body;
                long clusterMs = 0;
                while (c < body + size && TryElement(d, ref c, out var cid, out var csize, out var cbody))
                {
                    if (cid == 0xE7) clusterMs = (long)ReadUint(d.AsSpan(cbody, (int)csize));
                    else if (cid == 0xA3) lastMs = Math.Max(lastMs, clusterMs + BinaryPrimitives.ReadInt16BigEndian(d.AsSpan(cbody + 1)));
                    c = cbody + (int)csize;
                }
            }
            o = body + (int)size;
        }
        return lastMs < 0 && !video && !audio ? null : new MediaFileInfo(Math.Max(0, lastMs) / 1000.0 + 0.04, video, audio);
    }

    private static bool TryElement(byte[] d, ref int o, out uint id, out long size, out int body)
    {
        id = 0;
        size = 0;
        body = 0;
        if (o >= d.Length) return false;
        var idLength = d[o] >= 0x80 ? 1 : d[o] >= 0x40 ? 2 : d[o] >= 0x20 ? 3 : 4;
        if (o + idLength >= d.Length) return false;
        for (var i = 0; i < idLength; i++) id = id << 8 | d[o + i];
        var p = o + idLength;
        var first = d[p];
        var n = 1;
        while (n <= 8 && (first & (0x80 >> (n - 1))) == 0) n++;
        if (n > 8 || p + n > d.Length) return false;
        size = first & (0xFF >> n);
        for (var i = 1; i < n; i++) size = size << 8 | d[p + i];
        body = p + n;
        o = body;
        return true;
    }

    private static ulong ReadUint(ReadOnlySpan<byte> b)
    {
        ulong v = 0;
        foreach (var x in b) v = v << 8 | x;
        return v;
    }
}
