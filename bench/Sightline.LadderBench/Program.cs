using System.Buffers.Binary;
using System.Diagnostics;
using Sightline.Media.Transcoding;
using Sightline.Rtp.Packetization;

// The quality ladder's cost: a 1280x720 30 fps H.264 camera decoded once and re-encoded into the half (640x360) and
// quarter (320x180) rungs, in CPU seconds per second of video, next to the ffmpeg command line doing the same decode,
// scale and encode (libx264, same preset and bitrates, one thread) on the same input in the same run; plus the time
// from a camera frame to its re-encoded frames (the latency the ladder adds). Prints figures; never pass/fail.
// Usage: dotnet bench/Sightline.LadderBench/bin/Release/net10.0/Sightline.LadderBench.dll [seconds-of-video]
var seconds = args.Length > 0 && int.TryParse(args[0], out var s) ? s : 20;
var dir = Directory.CreateTempSubdirectory("sightline-ladder-bench-");
try
{
    var input = Path.Combine(dir.FullName, "camera-720p30.h264");
    Console.WriteLine($"Quality ladder benchmark — {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}");
    Console.WriteLine($"Input: {seconds} s of 1280x720 30 fps H.264 (testsrc2 + noise, 2.5 Mb/s, keyframe every 2 s), made by ffmpeg.");
    Run("ffmpeg", $"-hide_banner -loglevel error -y -f lavfi -i testsrc2=size=1280x720:rate=30 -t {seconds} -vf noise=alls=8:allf=t -c:v libx264 -preset veryfast -profile:v high -bf 0 -g 60 -b:v 2500k -maxrate 2500k -bufsize 1250k -x264-params aud=1 -f h264 \"{input}\"");
    var frames = AccessUnits(File.ReadAllBytes(input));
    Console.WriteLine($"{frames.Count} frames, {new FileInfo(input).Length * 8 / seconds / 1000} kb/s");
    Console.WriteLine();

    var options = new LadderOptions(MinBitrate: 300_000, MaxBitrate: 1_000_000);
    var ladderCpu = 0.0;
    foreach (var (label, mask) in new[] { ("decode only (a rung lingering)", 0b000), ("half rung 640x360", 0b010), ("half + quarter rungs", 0b110) })
    {
        var (cpu, wall, latencies, out1, out2) = RunLadder(frames, options, mask);
        if (mask == 0b110) ladderCpu = cpu;
        latencies.Sort();
        var p = (double q) => latencies.Count == 0 ? 0 : latencies[(int)Math.Min(latencies.Count - 1, q * latencies.Count)];
        Console.WriteLine($"Sightline ladder, {label,-32}: {cpu / seconds,6:F3} CPU s per s of video   ({wall:F1} s wall for {seconds} s)"
            + (mask == 0 ? "" : $"   frame in -> rungs out p50 {p(0.5):F2} ms, p99 {p(0.99):F2} ms   output {out1 * 8 / seconds / 1000} + {out2 * 8 / seconds / 1000} kb/s"));
    }

    // The same work through the ffmpeg CLI: decode once, split, scale to both sizes, encode both with libx264.
    var ffArgs = $"-hide_banner -loglevel error -threads 1 -i \"{input}\" -filter_complex \"[0:v]split=2[a][b];[a]scale=640:360:flags=bilinear[h];[b]scale=320:180:flags=bilinear[q]\" "
        + "-map \"[h]\" -c:v libx264 -threads 1 -preset veryfast -tune zerolatency -profile:v baseline -b:v 1000k -maxrate 1000k -bufsize 250k -f null - "
        + "-map \"[q]\" -c:v libx264 -threads 1 -preset veryfast -tune zerolatency -profile:v baseline -b:v 400k -maxrate 400k -bufsize 100k -f null -";
    // (the ladder's rungs at a 2.5 Mb/s camera: half at 1 Mb/s, quarter at 400 kb/s, a quarter-second rate buffer)
    var ffCpu = CpuOf("ffmpeg", ffArgs);
    Console.WriteLine($"ffmpeg CLI, same decode + half + quarter rungs         : {ffCpu / seconds,6:F3} CPU s per s of video");
    Console.WriteLine($"Ratio Sightline / ffmpeg: {ladderCpu / ffCpu:F2}  (below 1: cheaper than the ffmpeg command line)");
    Console.WriteLine();
    Console.WriteLine("With every viewer on the camera's own stream the ladder does not exist: 0 CPU s per s (no decoder, no encoder).");
}
finally
{
    dir.Delete(true);
}

static (double Cpu, double Wall, List<double> Latencies, long Out1, long Out2) RunLadder(List<(byte[] Data, bool Key)> frames, LadderOptions options, int mask)
{
    using var ladder = new QualityLadder(MediaCodec.H264, options) { CameraBitrate = 2_500_000 };
    var outputs = new PacketizedFrame?[QualityLadder.LayerCount];
    var latencies = new List<double>(frames.Count);
    long out1 = 0, out2 = 0;
    var me = Process.GetCurrentProcess();
    var cpu0 = me.TotalProcessorTime;
    var wall = Stopwatch.StartNew();
    uint ts = 0;
    foreach (var (data, key) in frames)
    {
        var t0 = Stopwatch.GetTimestamp();
        ladder.Process(new EncodedFrame { Codec = MediaCodec.H264, Data = data, RtpTimestamp = ts += 3000, IsKeyframe = key }, mask, outputs);
        if (mask != 0) latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        out1 += outputs[1]?.Payloads.Sum(p => p.Length) ?? 0;
        out2 += outputs[2]?.Payloads.Sum(p => p.Length) ?? 0;
    }
    me.Refresh();
    return ((me.TotalProcessorTime - cpu0).TotalSeconds, wall.Elapsed.TotalSeconds, latencies, out1, out2);
}

// CPU seconds (user + system) of a command, from bash's `time`.
static double CpuOf(string command, string arguments)
{
    var psi = new ProcessStartInfo("bash", ["-c", $"TIMEFORMAT='%U %S'; time {command} {arguments}"]) { RedirectStandardError = true };
    using var p = Process.Start(psi)!;
    var err = p.StandardError.ReadToEnd();
    p.WaitForExit();
    var last = err.Trim().Split('\n')[^1].Split(' ');
    return double.Parse(last[0], System.Globalization.CultureInfo.InvariantCulture) + double.Parse(last[1], System.Globalization.CultureInfo.InvariantCulture);
}

static void Run(string command, string arguments)
{
    using var p = Process.Start(new ProcessStartInfo("bash", ["-c", $"{command} {arguments}"]))!;
    p.WaitForExit();
    if (p.ExitCode != 0) throw new InvalidOperationException($"{command} failed ({p.ExitCode})");
}

// Access units of an Annex B stream with access unit delimiters, as 4-byte length-prefixed NAL units (as the RTP
// depacketizer hands them).
static List<(byte[] Data, bool Key)> AccessUnits(byte[] annexB)
{
    var result = new List<(byte[], bool)>();
    using var au = new MemoryStream();
    var key = false;
    var starts = new List<int>();
    for (var i = 0; i + 3 <= annexB.Length; i++)
    {
        if (annexB[i] == 0 && annexB[i + 1] == 0 && annexB[i + 2] == 1) starts.Add(i + 3);
    }
    Span<byte> prefix = stackalloc byte[4];
    for (var k = 0; k < starts.Count; k++)
    {
        var end = k + 1 < starts.Count ? starts[k + 1] - 3 : annexB.Length;
        while (end > starts[k] && annexB[end - 1] == 0) end--;
        var nal = annexB.AsSpan(starts[k], end - starts[k]);
        var type = nal[0] & 0x1f;
        if (type == 9)
        {
            if (au.Length > 0) result.Add((au.ToArray(), key));
            au.SetLength(0);
            key = false;
            continue;
        }
        if (type == 5) key = true;
        BinaryPrimitives.WriteUInt32BigEndian(prefix, (uint)nal.Length);
        au.Write(prefix);
        au.Write(nal);
    }
    if (au.Length > 0) result.Add((au.ToArray(), key));
    return result;
}
