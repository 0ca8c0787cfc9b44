using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Sightline.LoadHarness;

// Sightline's load harness: starts the server (pinned to a core when taskset exists), feeds it in-process cameras, and
// connects simulated browsers through the real REST API and signaling. Prints tables; never pass/fail.
//   ramp    --server-dll PATH [--steps 25,50,100,200,400] [--seconds 10] [--bitrate 2000000]
//   cameras --server-dll PATH [--counts 10,50,100] [--seconds 10] [--bitrate 2000000]
var mode = args.Length > 0 ? args[0] : "ramp";
string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
var dll = Arg("server-dll", "src/Sightline.Server/bin/Release/net10.0/sightline.dll");
var seconds = double.Parse(Arg("seconds", "10"), CultureInfo.InvariantCulture);
var bitrate = int.Parse(Arg("bitrate", "2000000"), CultureInfo.InvariantCulture);
var serverCore = Arg("server-core", "0");

await using var server = await ServerProcess.StartAsync(dll, serverCore);
using var rest = Viewer.Rest(server.Url, "MY_SECRET");
Console.WriteLine($"Sightline load harness — server pid {server.Pid}{(server.Pinned ? $" pinned to core {serverCore}, load client on the other core(s)" : "")}; {bitrate / 1e6:0.#} Mb/s cameras, 1 s GOP; {seconds} s per step");
Console.WriteLine("delay = each packet's decryption at the viewer minus the camera's send time of its frame (one clock, loopback)");

if (mode == "ramp")
{
    var steps = Arg("steps", "25,50,100,200,400").Split(',').Select(int.Parse).ToArray();
    await using var camera = new FakeCamera(bitrate);
    var (sessionId, streamId) = await PublishAsync(rest, camera.Url, "ramp");
    var viewers = new List<Viewer>();
    Console.WriteLine();
    Console.WriteLine($"{"viewers",7} {"server CPU",10} {"RSS MB",7} {"MB/viewer",9} {"egress Mb/s",11} {"loss %",7} {"delay p50",9} {"p99 ms",7} {"1st key p50",11} {"alloc B/pkt",11}");
    foreach (var n in steps)
    {
        var joinTimes = new List<double>();
        while (viewers.Count < n)
        {
            var v = await Viewer.ConnectAsync(rest, server.Url, sessionId, streamId);
            viewers.Add(v);
        }
        await Task.Delay(2000);
        var row = await MeasureAsync(server, rest, viewers, seconds);
        var keys = viewers.Where(v => v.FirstKeyframeMs is not null).Select(v => v.FirstKeyframeMs!.Value).Order().ToList();
        var rssPerViewer = row.RssMb / Math.Max(1, viewers.Count);
        Console.WriteLine($"{viewers.Count,7} {row.CpuPercent,9:0.0}% {row.RssMb,7:0} {rssPerViewer,9:0.00} {row.EgressMbps,11:0.0} {row.LossPercent,7:0.000} {row.P50,9:0.0} {row.P99,7:0.0} {Percentile(keys, 0.5),11:0} {row.AllocPerPacket,11:0.0}");
        if (row.LossPercent > 0.1 || row.P99 > 50)
        {
            Console.WriteLine($"stopped: {(row.LossPercent > 0.1 ? "loss above 0.1 %" : "delay p99 above 50 ms")} at {viewers.Count} viewers");
            break;
        }
    }
    foreach (var v in viewers) await v.DisposeAsync();
}
else
{
    var counts = Arg("counts", "10,50,100").Split(',').Select(int.Parse).ToArray();
    Console.WriteLine();
    Console.WriteLine($"{"cameras",7} {"server CPU",10} {"RSS MB",7} {"egress Mb/s",11} {"loss %",7} {"delay p50",9} {"p99 ms",7} {"alloc B/pkt",11}");
    var cameras = new List<FakeCamera>();
    var viewers = new List<Viewer>();
    foreach (var n in counts)
    {
        while (cameras.Count < n)
        {
            var camera = new FakeCamera(bitrate);
            cameras.Add(camera);
            var (sessionId, streamId) = await PublishAsync(rest, camera.Url, $"cam{cameras.Count}");
            viewers.Add(await Viewer.ConnectAsync(rest, server.Url, sessionId, streamId));
        }
        await Task.Delay(3000);
        var row = await MeasureAsync(server, rest, viewers, seconds);
        Console.WriteLine($"{cameras.Count,7} {row.CpuPercent,9:0.0}% {row.RssMb,7:0} {row.EgressMbps,11:0.0} {row.LossPercent,7:0.000} {row.P50,9:0.0} {row.P99,7:0.0} {row.AllocPerPacket,11:0.0}");
    }
    foreach (var v in viewers) await v.DisposeAsync();
    foreach (var c in cameras) await c.DisposeAsync();
}

static async Task<(string SessionId, string StreamId)> PublishAsync(HttpClient rest, string uri, string name)
{
    var session = JsonNode.Parse(await (await rest.PostAsync("/openvidu/api/sessions", Json(new JsonObject { ["customSessionId"] = name }))).Content.ReadAsStringAsync())!;
    var sessionId = session["id"]!.ToString();
    var cam = JsonNode.Parse(await (await rest.PostAsync($"/openvidu/api/sessions/{sessionId}/connection",
        Json(new JsonObject { ["type"] = "IPCAM", ["rtspUri"] = uri + "#transport=tcp", ["adaptativeBitrate"] = false, ["onlyPlayWithSubscribers"] = false }))).Content.ReadAsStringAsync())!;
    return (sessionId, cam["publishers"]![0]!["streamId"]!.ToString());
}

static StringContent Json(JsonObject o) => new(o.ToJsonString(), Encoding.UTF8, "application/json");

static async Task<Row> MeasureAsync(ServerProcess server, HttpClient rest, List<Viewer> viewers, double seconds)
{
    foreach (var v in viewers) v.DrainDelays();
    var cpu0 = server.CpuSeconds();
    var runtime0 = JsonNode.Parse(await rest.GetStringAsync("/openvidu/api/sightline/runtime"))!;
    long Received() => viewers.Sum(v => v.Client.BytesReceived);
    long Packets() => viewers.Sum(v => v.Client.PacketsReceived);
    long Lost() => viewers.Sum(v => Math.Max(0, v.Client.Gaps - v.Client.RtxReceived));
    var (bytes0, packets0, lost0) = (Received(), Packets(), Lost());
    var sw = Stopwatch.StartNew();
    await Task.Delay(TimeSpan.FromSeconds(seconds));
    var elapsed = sw.Elapsed.TotalSeconds;
    var cpu = (server.CpuSeconds() - cpu0) / elapsed * 100;
    var runtime1 = JsonNode.Parse(await rest.GetStringAsync("/openvidu/api/sightline/runtime"))!;
    var (bytes1, packets1, lost1) = (Received(), Packets(), Lost());
    var delays = viewers.SelectMany(v => v.DrainDelays()).Order().ToList();
    var lostPackets = lost1 - lost0;
    var receivedPackets = packets1 - packets0;
    var sent = runtime1["mediaPacketsSent"]!.GetValue<long>() - runtime0["mediaPacketsSent"]!.GetValue<long>();
    var allocated = runtime1["allocatedBytes"]!.GetValue<long>() - runtime0["allocatedBytes"]!.GetValue<long>();
    return new Row(cpu, server.RssMb(), (bytes1 - bytes0) * 8 / elapsed / 1e6,
        receivedPackets + lostPackets == 0 ? 0 : lostPackets * 100.0 / (receivedPackets + lostPackets),
        Percentile(delays, 0.5), Percentile(delays, 0.99), sent == 0 ? 0 : (double)allocated / sent);
}

static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

internal sealed record Row(double CpuPercent, double RssMb, double EgressMbps, double LossPercent, double P50, double P99, double AllocPerPacket);

/// <summary>The Sightline server under test, as a child process on free loopback ports.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, Uri url, bool pinned)
    {
        _process = process;
        Url = url;
        Pinned = pinned;
    }

    public Uri Url { get; }
    public bool Pinned { get; }
    public int Pid => _process.Id;

    public static async Task<ServerProcess> StartAsync(string dll, string core)
    {
        var port = FreePort();
        var pinned = File.Exists("/usr/bin/taskset");
        var psi = pinned ? new ProcessStartInfo("/usr/bin/taskset", $"-c {core} dotnet \"{dll}\"") : new ProcessStartInfo("dotnet", $"\"{dll}\"");
        psi.Environment["SERVER_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        psi.Environment["SERVER_ADDRESS"] = "127.0.0.1";
        psi.Environment["SIGHTLINE_WEBRTC_PORT"] = FreePort().ToString(CultureInfo.InvariantCulture);
        psi.Environment["SIGHTLINE_WEBRTC_ANNOUNCED_IPS"] = "127.0.0.1";
        psi.Environment["SIGHTLINE_DEMO"] = "false";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start the server");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("server: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var url = new Uri($"http://127.0.0.1:{port}");
        using var http = Viewer.Rest(url, "MY_SECRET");
        for (var i = 0; i < 300; i++)
        {
            try
            {
                if ((await http.GetAsync("/openvidu/api/config")).IsSuccessStatusCode) return new ServerProcess(process, url, pinned);
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new InvalidOperationException("the server did not start");
    }

    /// <summary>User + system CPU seconds of the server (its dotnet child when started through taskset).</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    public double RssMb()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        return 0;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
