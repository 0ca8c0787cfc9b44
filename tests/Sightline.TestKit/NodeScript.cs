using System.Diagnostics;
using System.Text.Json;

namespace Sightline.TestKit;

/// <summary>Runs one of the project's node scripts (tests/interop) and returns its output.</summary>
public static class NodeScript
{
    public static string InteropDirectory => Path.Combine(RepoPaths.Root, "tests", "interop");

    /// <summary>Opens <paramref name="url"/> in headless Chromium for <paramref name="seconds"/> and returns the page's <c>window.result()</c>.</summary>
    public static async Task<(JsonElement Result, string Log)> ChromiumPageAsync(string url, int seconds, string? screenshot = null)
    {
        var script = Path.Combine(InteropDirectory, "tools", "chromium-page.cjs");
        var psi = new ProcessStartInfo("node", $"\"{script}\" \"{url}\" {seconds}" + (screenshot is null ? "" : $" \"{screenshot}\""))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = InteropDirectory,
        };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start node");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds + 60));
        await p.WaitForExitAsync(cts.Token);
        var log = await stdout + await stderr;
        var line = log.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("the page gave no result: " + log);
        return (JsonDocument.Parse(line[7..]).RootElement.Clone(), log);
    }
}
