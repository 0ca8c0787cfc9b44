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

    public static async Task RunFfmpegAsync(string arguments)
    {
        var psi = new ProcessStartInfo("ffmpeg", "-y -v error " + arguments) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start ffmpeg (install ffmpeg)");
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException("ffmpeg failed: " + err);
    }
}
