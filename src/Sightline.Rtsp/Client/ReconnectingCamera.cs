using Microsoft.Extensions.Logging;
using Sightline.Rtp.Packetization;

namespace Sightline.Rtsp.Client;

/// <summary>Where a camera connection stands.</summary>
public enum CameraState { Idle, Connecting, Playing, Stalled, Reconnecting, Failed, Stopped }

/// <summary>One state change with its reason, as kept in <see cref="ReconnectingCamera.History"/>.</summary>
public sealed record CameraStateChange(DateTimeOffset At, CameraState State, RtspFailure? Failure, string? Detail);

/// <summary>
/// A camera kept playing: connects, plays, and when the stream stalls or drops reconnects with a tiered backoff (fast at
/// first, then slower, capped). Every state change is an event and stays in <see cref="History"/>. Frames of every
/// session go out through the same <see cref="FrameReceived"/>, so a consumer does not see the reconnects. A session is
/// any <see cref="ICameraSession"/>: an RTSP session, or a file or HTTP stream read through libavformat.
/// </summary>
public sealed class ReconnectingCamera : IAsyncDisposable
{
    /// <summary>Waits between attempts: fast at first, then 5 s, then 15 s, capped at 30 s.</summary>
    public static TimeSpan Backoff(int attempt) => attempt switch
    {
        <= 0 => TimeSpan.FromMilliseconds(500),
        1 => TimeSpan.FromSeconds(1),
        2 => TimeSpan.FromSeconds(2),
        3 => TimeSpan.FromSeconds(3),
        < 15 => TimeSpan.FromSeconds(5),
        < 25 => TimeSpan.FromSeconds(15),
        _ => TimeSpan.FromSeconds(30),
    };

    private const int MaxHistory = 200;

    private readonly Func<RtspException?, ICameraSession> _sessions;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<CameraStateChange> _history = [];
    private CancellationTokenSource? _stop;
    private Task? _loop;
    private volatile ICameraSession? _client;

    /// <summary>An RTSP camera (<c>rtsp://</c>, <c>rtsps://</c>).</summary>
    public ReconnectingCamera(RtspClientOptions options, ILogger logger, TimeProvider? time = null)
        : this(RtspClient.Mask(options.Uri), RtspSessions(options, logger, time), logger, time)
    {
    }

    /// <param name="displayUri">The camera URI with its password masked, for logs and status.</param>
    /// <param name="sessions">Makes the next session, given the failure that ended the last one (null the first time).</param>
    public ReconnectingCamera(string displayUri, Func<RtspException?, ICameraSession> sessions, ILogger logger, TimeProvider? time = null)
    {
        DisplayUri = displayUri;
        _sessions = sessions;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    public CameraState State { get; private set; } = CameraState.Idle;
    public RtspException? LastError { get; private set; }
    public string DisplayUri { get; }
    /// <summary>The tracks of the current session (empty while not playing).</summary>
    public IReadOnlyList<ICameraTrack> Tracks => _client?.Tracks ?? [];
    /// <summary>How the current session receives media (<c>UDP</c>, <c>TCP</c>, <c>HTTP</c>, <c>HTTPS</c>, <c>FILE</c>); null while not playing.</summary>
    public string? Transport => _client?.Transport;
    public int Sessions { get; private set; }

    public IReadOnlyList<CameraStateChange> History
    {
        get { lock (_gate) return [.. _history]; }
    }

    public event Action<CameraStateChange>? StateChanged;
    public event Action<ICameraTrack, EncodedFrame, DateTimeOffset>? FrameReceived;

    public void Start()
    {
        lock (_gate)
        {
            if (_loop is not null && _stop is { IsCancellationRequested: false }) return;
            // Started again while a stop is under way (a viewer right after the linger ran out): the new loop follows
            // the old one, which would otherwise finish after this call and leave the camera stopped for good.
            var previous = _loop;
            var stop = _stop = new CancellationTokenSource();
            _loop = previous is null
                ? Task.Run(() => RunAsync(stop.Token))
                : previous.ContinueWith(_ => RunAsync(stop.Token), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        }
    }

    public async Task StopAsync()
    {
        Task? loop;
        CancellationTokenSource? stop;
        lock (_gate)
        {
            loop = _loop;
            stop = _stop;
            stop?.Cancel();
        }
        if (loop is not null) await loop;
        lock (_gate)
        {
            // Started again meanwhile: the new loop is not this call's to clear.
            if (_stop == stop)
            {
                _loop = null;
                _stop = null;
            }
        }
        stop?.Dispose(); // its loop has ended
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task RunAsync(CancellationToken token)
    {
        var attempt = 0;
        var everPlayed = false;
        RtspException? ended = null;
        Set(CameraState.Connecting, null, null);
        while (!token.IsCancellationRequested)
        {
            var client = _sessions(ended);
            ended = null;
            client.FrameReceived += OnFrame;
            try
            {
                await client.StartAsync(token);
                _client = client;
                Sessions++;
                attempt = 0;
                everPlayed = true;
                LastError = null;
                Set(CameraState.Playing, null, $"over {client.Transport}");
                await client.RunAsync(token);
            }
            catch (RtspException e)
            {
                LastError = e;
                ended = e;
                if (e.Failure == RtspFailure.UdpBlocked)
                {
                    Set(CameraState.Reconnecting, e.Failure, e.Message);
                    await DisposeClientAsync(client);
                    continue; // switching transport is not a failure: no backoff
                }
                if (_client == client)
                {
                    Set(CameraState.Stalled, e.Failure, e.Message);
                }
                else
                {
                    Set(e.IsPermanent ? CameraState.Failed : (everPlayed ? CameraState.Reconnecting : CameraState.Failed), e.Failure, e.Message);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or InvalidOperationException or UriFormatException)
            {
                LastError = new RtspException(RtspFailure.ProtocolError, e.Message, e);
                Set(CameraState.Failed, RtspFailure.ProtocolError, e.Message);
            }
            await DisposeClientAsync(client);
            if (token.IsCancellationRequested) break;

            var wait = Backoff(attempt++);
            Set(CameraState.Reconnecting, LastError?.Failure, $"next attempt in {wait.TotalSeconds:0.#} s");
            try
            {
                await Task.Delay(wait, _time, token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        Set(CameraState.Stopped, null, null);
    }

    private async Task DisposeClientAsync(ICameraSession client)
    {
        client.FrameReceived -= OnFrame;
        if (_client == client) _client = null;
        await client.DisposeAsync();
    }

    private void OnFrame(ICameraTrack track, EncodedFrame frame, DateTimeOffset wallClock) => FrameReceived?.Invoke(track, frame, wallClock);

    private void Set(CameraState state, RtspFailure? failure, string? detail)
    {
        var change = new CameraStateChange(_time.GetUtcNow(), state, failure, detail);
        lock (_gate)
        {
            State = state;
            _history.Add(change);
            if (_history.Count > MaxHistory) _history.RemoveAt(0);
        }
        Log.StateChanged(_logger, DisplayUri, state.ToString(), detail is null ? "" : $" ({detail})");
        StateChanged?.Invoke(change);
    }

    // RTSP sessions: after UDP stayed silent, every later session is over TCP.
    private static Func<RtspException?, ICameraSession> RtspSessions(RtspClientOptions options, ILogger logger, TimeProvider? time)
    {
        var forceTcp = false;
        return ended =>
        {
            forceTcp |= ended?.Failure == RtspFailure.UdpBlocked;
            return new RtspClient(forceTcp ? options with { Transport = RtspTransport.Tcp, Uri = StripTransport(options.Uri) } : options, logger, time);
        };
    }

    private static string StripTransport(string uri)
    {
        var hash = uri.IndexOf('#');
        return hash < 0 ? uri : uri[..hash];
    }
}
