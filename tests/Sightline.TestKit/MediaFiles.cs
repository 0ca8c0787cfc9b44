using System.Buffers.Binary;
using System.Diagnostics;

namespace Sightline.TestKit;

/// <summary>One encoded frame read from a file made by ffmpeg at test time.</summary>
public sealed record FileFrame(byte[] Data, bool Keyframe);

/// <summary>Makes test media with Debian's ffmpeg and reads it back frame by frame.</summary>
public static class MediaFiles
{
    /// <summary>H.264 access units (4-byte length-prefixed NAL units), from an Annex B stream with AUD delimiters.</summary>
    /// <param name="noise">Adds moving noise so frames are big (many packets each), as a real camera's are.</param>
    public static async Task<List<FileFrame>> H264Async(string directory, int width, int height, int fps, int seconds, string profile = "baseline", bool noise = false)
    {
        var path = Path.Combine(directory, $"video-{width}x{height}-{profile}{(noise ? "-noise" : "")}.h264");
        var filter = noise ? "-vf noise=alls=12:allf=t " : "";
        await RunFfmpegAsync($"-f lavfi -i testsrc=size={width}x{height}:rate={fps} -t {seconds} {filter}-c:v libx264 -preset veryfast -profile:v {profile} -pix_fmt yuv420p -g {fps} -bf 0 -b:v 1500k -maxrate 1500k -bufsize 750k -x264-params aud=1 -f h264 \"{path}\"");
        var data = await File.ReadAllBytesAsync(path);
        var frames = new List<FileFrame>();
        using var au = new MemoryStream();
        var keyframe = false;
        foreach (var nal in SplitAnnexB(data))
        {
            var type = nal[0] & 0x1f;
            if (type == 9)
            {
                if (au.Length > 0) frames.Add(new FileFrame(au.ToArray(), keyframe));
                au.SetLength(0);
                keyframe = false;
                continue;
            }
            if (type == 5) keyframe = true;
            var prefix = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(prefix, (uint)nal.Length);
            au.Write(prefix);
            au.Write(nal);
        }
        if (au.Length > 0) frames.Add(new FileFrame(au.ToArray(), keyframe));
        return frames;
    }

    /// <summary>
    /// H.264 or H.265 access units (4-byte length-prefixed NAL units, decode order) of a <c>testsrc</c> clip encoded with
    /// <paramref name="encoderArgs"/> (e.g. <c>-c:v libx264 -profile:v main -bf 3</c>); split at the access unit
    /// delimiters the <c>h264_metadata</c>/<c>hevc_metadata</c> filter inserts, which are left out.
    /// </summary>
    public static async Task<List<FileFrame>> EncodeAccessUnitsAsync(string directory, string name, string encoderArgs, bool h265 = false, int width = 320, int height = 240, int fps = 25, double seconds = 2)
    {
        var path = Path.Combine(directory, name + (h265 ? ".hevc" : ".h264"));
        var bsf = h265 ? "hevc_metadata" : "h264_metadata";
        await RunFfmpegAsync($"-f lavfi -i testsrc=size={width}x{height}:rate={fps} -t {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} -pix_fmt yuv420p {encoderArgs} -bsf:v {bsf}=aud=insert -f {(h265 ? "hevc" : "h264")} \"{path}\"");
        return await SplitAtDelimitersAsync(path, h265);
    }

    // Access units of an Annex B file with delimiters (AUD: type 9 in H.264, 35 in H.265), the delimiters left out.
    private static async Task<List<FileFrame>> SplitAtDelimitersAsync(string path, bool h265)
    {
        var frames = new List<FileFrame>();
        using var au = new MemoryStream();
        var keyframe = false;
        foreach (var nal in SplitAnnexB(await File.ReadAllBytesAsync(path)))
        {
            if (nal.Length == 0) continue;
            var type = h265 ? nal[0] >> 1 & 0x3f : nal[0] & 0x1f;
            if (type == (h265 ? 35 : 9))
            {
                if (au.Length > 0) frames.Add(new FileFrame(au.ToArray(), keyframe));
                au.SetLength(0);
                keyframe = false;
                continue;
            }
            keyframe |= h265 ? type is >= 16 and <= 21 : type == 5;
            var prefix = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(prefix, (uint)nal.Length);
            au.Write(prefix);
            au.Write(nal);
        }
        if (au.Length > 0) frames.Add(new FileFrame(au.ToArray(), keyframe));
        return frames;
    }

    /// <summary>
    /// As <see cref="EncodeAccessUnitsAsync"/>, with each access unit's presentation time in 90 kHz ticks as ffmpeg's
    /// muxer stamped it (from a 90 kHz MP4 made by the same encoder run, read with ffprobe): decode order, B-frames'
    /// times going back and forth as a camera's RTP timestamps do.
    /// </summary>
    public static async Task<List<(FileFrame Frame, long Pts)>> EncodeWithPresentationTimesAsync(string directory, string name, string encoderArgs, int width = 320, int height = 240, int fps = 25, double seconds = 2)
    {
        var mp4 = Path.Combine(directory, name + ".mp4");
        var seconds1 = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await RunFfmpegAsync($"-f lavfi -i testsrc=size={width}x{height}:rate={fps} -t {seconds1} -pix_fmt yuv420p {encoderArgs} -video_track_timescale 90000 \"{mp4}\"");
        var annexB = Path.Combine(directory, name + ".h264");
        await RunFfmpegAsync($"-i \"{mp4}\" -c copy -bsf:v h264_mp4toannexb,h264_metadata=aud=insert -f h264 \"{annexB}\"");
        var frames = await SplitAtDelimitersAsync(annexB, h265: false);
        var psi = new ProcessStartInfo("ffprobe", $"-v error -select_streams v:0 -show_entries packet=pts -of csv=p=0 \"{mp4}\"") { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start ffprobe (install ffmpeg)");
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        var pts = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => long.Parse(l.Trim().TrimEnd(','), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        if (pts.Count != frames.Count) throw new InvalidOperationException($"{frames.Count} access units but {pts.Count} packet times");
        var first = pts.Min();
        return [.. frames.Select((f, i) => (f, pts[i] - first))];
    }

    /// <summary>VP8 frames from an IVF file.</summary>
    public static async Task<List<FileFrame>> Vp8Async(string directory, int width, int height, int fps, int seconds)
    {
        var path = Path.Combine(directory, $"video-{width}x{height}.ivf");
        await RunFfmpegAsync($"-f lavfi -i testsrc=size={width}x{height}:rate={fps} -t {seconds} -c:v libvpx -deadline realtime -g {fps} -b:v 1M -f ivf \"{path}\"");
        var data = await File.ReadAllBytesAsync(path);
        var frames = new List<FileFrame>();
        int offset = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(6));
        while (offset + 12 <= data.Length)
        {
            var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset));
            var frame = data.AsSpan(offset + 12, size).ToArray();
            frames.Add(new FileFrame(frame, (frame[0] & 1) == 0));
            offset += 12 + size;
        }
        return frames;
    }

    private static IEnumerable<byte[]> SplitAnnexB(byte[] data)
    {
        var starts = new List<(int Start, int CodeLength)>();
        for (var i = 0; i + 3 <= data.Length; i++)
        {
            if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1)
            {
                var codeLength = i > 0 && data[i - 1] == 0 ? 4 : 3;
                starts.Add((i + 3, codeLength));
                i += 2;
            }
        }
        for (var k = 0; k < starts.Count; k++)
        {
            var end = k + 1 < starts.Count ? starts[k + 1].Start - starts[k + 1].CodeLength : data.Length;
            yield return data[starts[k].Start..end];
        }
    }

    /// <summary>What <c>ffmpeg -v error -i file -f null -</c> prints: empty when the whole file decodes cleanly.</summary>
    public static async Task<string> DecodeErrorsAsync(string path)
    {
        var psi = new ProcessStartInfo("ffmpeg", $"-nostdin -v error -i \"{path}\" -f null -") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start ffmpeg (install ffmpeg)");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (err + await stdout).Trim() + (p.ExitCode != 0 ? $" (exit code {p.ExitCode})" : "");
    }

    public static async Task RunFfmpegAsync(string arguments)
    {
        var psi = new ProcessStartInfo("ffmpeg", "-y -v error " + arguments) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start ffmpeg (install ffmpeg)");
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException("ffmpeg failed: " + err);
    }
}
