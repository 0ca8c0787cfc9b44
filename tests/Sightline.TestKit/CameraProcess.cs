using System.Collections.Concurrent;
using System.Diagnostics;

namespace Sightline.TestKit;

/// <summary>
/// The project's fake IP camera (<c>tests/fixtures/rtsp-camera.py</c>: GStreamer's RTSP server) as a child process on a
/// loopback port. Keeps every line it prints: <c>CLIENT connected</c>/<c>closed</c>/<c>play</c> tell how the camera was used.
/// </summary>
public sealed class CameraProcess : IAsyncDisposable
{
    public const string Python = "/usr/bin/python3";

    private readonly string _arguments;
    private readonly ConcurrentQueue<string> _lines = new();
    private Process? _process;

    private CameraProcess(int port, string path, string arguments)
    {
        Port = port;
        Path = path;
        _arguments = arguments;
    }

    public int Port { get; }
    public string Path { get; }
    public string Url => $"rtsp://127.0.0.1:{Port}{Path}";
    public IReadOnlyCollection<string> Lines => _lines.ToArray();
    public int ClientsConnected => _lines.Count(l => l.StartsWith("CLIENT connected", StringComparison.Ordinal));
    public int Plays => _lines.Count(l => l == "CLIENT play");

    /// <summary>Starts a camera: <c>--codec</c>, <c>--audio</c>, <c>--auth</c> … as the fixture script takes them.</summary>
    public static async Task<CameraProcess> StartAsync(string arguments = "", int? port = null, string path = "/cam")
    {
        var camera = new CameraProcess(port ?? FreePorts.Tcp(), path, arguments);
        await camera.StartProcessAsync();
        return camera;
    }

    /// <summary>Starts the same camera again on the same port (after <see cref="KillAsync"/>).</summary>
    public Task RestartAsync() => StartProcessAsync();

    /// <summary>Kills the camera process at once, as a camera losing power.</summary>
    public async Task KillAsync()
    {
        if (_process is null) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
        _lines.Enqueue("KILLED");
    }

    private async Task StartProcessAsync()
    {
        if (!File.Exists(Python)) throw new InvalidOperationException($"{Python} is missing: install python3-gi and the GStreamer packages (./test does)");
        var psi = new ProcessStartInfo(Python, $"\"{RepoPaths.Fixture("rtsp-camera.py")}\" --port {Port} --path {Path} {_arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            _lines.Enqueue(e.Data);
            if (e.Data.StartsWith("READY", StringComparison.Ordinal)) ready.TrySetResult();
            if (e.Data.StartsWith("ERROR", StringComparison.Ordinal)) ready.TrySetException(new InvalidOperationException(e.Data));
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) _lines.Enqueue("stderr: " + e.Data);
        };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("camera fixture exited: " + string.Join(" | ", _lines.TakeLast(5))));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var done = await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(20)));
        if (done != ready.Task) throw new TimeoutException("camera fixture did not start: " + string.Join(" | ", _lines));
        await ready.Task;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null) return;
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        _process = null;
    }
}
