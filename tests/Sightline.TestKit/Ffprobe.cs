using System.Diagnostics;
using System.Globalization;

namespace Sightline.TestKit;

/// <summary>Runs Debian's ffprobe against a stream or file and returns what it found.</summary>
public static class Ffprobe
{
    public sealed record StreamInfo(string Codec, string? Profile, int Width, int Height);

    /// <summary>Codec, profile and size of the first video stream.</summary>
    public static async Task<StreamInfo> VideoStreamAsync(string input, string extraArgs = "", TimeSpan? timeout = null)
    {
        var output = await RunAsync($"-v error {extraArgs} -select_streams v:0 -show_entries stream=codec_name,profile,width,height -of default=nw=1 \"{input}\"", timeout);
        var values = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1].Trim());
        return new StreamInfo(values.GetValueOrDefault("codec_name", "?"), values.GetValueOrDefault("profile"),
            int.Parse(values.GetValueOrDefault("width", "0"), CultureInfo.InvariantCulture), int.Parse(values.GetValueOrDefault("height", "0"), CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// <c>ffprobe -count_frames</c> on the video of a finite stream, plus the number of distinct presentation times. ffmpeg's
    /// RTP path reports a multi-slice x264 keyframe as two frames with one timestamp; distinct times count real frames.
    /// </summary>
    public static async Task<(int CountFrames, int DistinctTimes)> CountVideoFramesAsync(string input, string extraArgs, TimeSpan timeout)
    {
        var output = await RunAsync($"-v error {extraArgs} -count_frames -select_streams v:0 -show_entries stream=nb_read_frames:frame=pts_time -of csv=p=0 \"{input}\"", timeout);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim().TrimEnd(',')).ToList();
        var count = int.Parse(lines[^1], CultureInfo.InvariantCulture);
        var times = lines.Take(lines.Count - 1).Where(l => l.Length > 0 && l != "N/A").Distinct().Count();
        return (count, times);
    }

    public static async Task<string> RunAsync(string arguments, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo("ffprobe", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start ffprobe (install ffmpeg)");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(true);
            throw new TimeoutException($"ffprobe {arguments} did not finish");
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"ffprobe failed ({process.ExitCode}): {await stderr}");
        return await stdout;
    }
}
