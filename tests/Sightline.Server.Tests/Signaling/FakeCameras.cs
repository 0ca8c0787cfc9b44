using System.Net;
using System.Net.Sockets;

namespace Sightline.Server.Tests.Signaling;

/// <summary>
/// A camera that accepts TCP connections and never says a word (a hung RTSP server): a subscription to it stays pending
/// until the server gives up. Tells when the client lets go of a connection.
/// </summary>
public sealed class SilentCamera : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;
    private readonly TaskCompletionSource _firstAccepted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _accepted;

    public SilentCamera()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public string Url(string path = "/cam") => $"rtsp://127.0.0.1:{Port}{path}#transport=tcp";
    public int Accepted => Volatile.Read(ref _accepted);
    /// <summary>Completes when a client has connected.</summary>
    public Task FirstAccepted => _firstAccepted.Task;
    /// <summary>Completes when a client has closed its connection.</summary>
    public Task FirstClosed => _firstClosed.Task;

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _accepted);
                _firstAccepted.TrySetResult();
                lock (_connections) _connections.Add(HoldAsync(client));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    // Reads and drops whatever the client sends, answers nothing; the read returns 0 when the client closes.
    private async Task HoldAsync(TcpClient client)
    {
        using (client)
        {
            var buffer = new byte[4096];
            try
            {
                while (await client.GetStream().ReadAsync(buffer, _stop.Token) > 0)
                {
                }
                _firstClosed.TrySetResult();
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        Task[] all;
        lock (_connections) all = [.. _connections];
        await Task.WhenAll(all);
        _stop.Dispose();
    }
}

/// <summary>A TCP relay that holds each new connection for <see cref="Delay"/> before it reaches the camera: a slow camera.</summary>
public sealed class DelayProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _relays = [];
    private readonly int _targetPort;
    private readonly Task _accepting;

    public DelayProxy(int targetPort, TimeSpan delay)
    {
        _targetPort = targetPort;
        Delay = delay;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public TimeSpan Delay { get; }
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_relays) _relays.Add(RelayAsync(client));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await Task.Delay(Delay, _stop.Token);
                using var camera = new TcpClient();
                await camera.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
                using var either = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var up = client.GetStream().CopyToAsync(camera.GetStream(), either.Token);
                var down = camera.GetStream().CopyToAsync(client.GetStream(), either.Token);
                await Task.WhenAny(up, down);
                either.Cancel(); // one side closed: end the other
                await Task.WhenAll(up, down).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        Task[] all;
        lock (_relays) all = [.. _relays];
        await Task.WhenAll(all);
        _stop.Dispose();
    }
}
