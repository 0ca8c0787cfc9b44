using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Threading.Channels;
using Sightline.Server.Configuration;
using Sightline.Server.Diagnostics;
using Sightline.Sessions.Events;

namespace Sightline.Server.Webhooks;

/// <summary>
/// Posts session events to <c>OPENVIDU_WEBHOOK_ENDPOINT</c>, one at a time and in order, from a bounded queue. An endpoint
/// that cannot be reached (connection refused, timeout, 5xx, 408, 429) is retried with capped exponential backoff until it
/// answers, so no event that fits in the queue is lost; a full queue drops new events and counts them. Never blocks the
/// caller: <see cref="OnEvent"/> only enqueues.
/// </summary>
public sealed class WebhookDispatcher : BackgroundService, ISessionEventSink
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan RetryLogInterval = TimeSpan.FromSeconds(30);

    private readonly WebhookOptions _options;
    private readonly HashSet<string> _events;
    private readonly Channel<SessionEvent> _queue;
    private readonly HttpClient _http;
    private readonly ILogger<WebhookDispatcher> _logger;
    private readonly TimeProvider _time;
    private readonly Counter<long> _deliveredCounter;
    private readonly Counter<long> _droppedCounter;
    private long _delivered;
    private long _dropped;
    private long _failedAttempts;

    public WebhookDispatcher(SightlineOptions options, ILogger<WebhookDispatcher> logger, TimeProvider time, IMeterFactory meters)
    {
        _options = options.Webhook;
        _events = [.. _options.Events];
        _logger = logger;
        _time = time;
        _queue = Channel.CreateBounded<SessionEvent>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of silently dropping: we count it.
        });
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        };
        if (!_options.VerifyTls)
        {
            // OpenVidu does not verify the webhook endpoint's certificate; SIGHTLINE_WEBHOOK_VERIFY_TLS=true turns it on.
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }
        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        var meter = meters.Create("Sightline.Webhooks");
        _deliveredCounter = meter.CreateCounter<long>("sightline.webhooks.delivered");
        _droppedCounter = meter.CreateCounter<long>("sightline.webhooks.dropped");
    }

    public long Delivered => Interlocked.Read(ref _delivered);
    public long Dropped => Interlocked.Read(ref _dropped);
    public long FailedAttempts => Interlocked.Read(ref _failedAttempts);
    public int Pending => _queue.Reader.CanCount ? _queue.Reader.Count : 0;

    public void OnEvent(SessionEvent sessionEvent)
    {
        if (!_options.Enabled || _options.Endpoint is null) return;
        var name = WebhookPayload.NameOf(sessionEvent);
        if (name is null || !_events.Contains(name)) return;
        if (!_queue.Writer.TryWrite(sessionEvent))
        {
            var dropped = Interlocked.Increment(ref _dropped);
            _droppedCounter.Add(1);
            ServerLog.WebhookOverflow(_logger, _options.QueueCapacity, name, sessionEvent.SessionId, dropped);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var e in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                await DeliverAsync(e, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stops taking events, then waits up to the drain timeout for the queue to empty before giving up.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (ExecuteTask is { } running)
        {
            await Task.WhenAny(running, Task.Delay(_options.DrainTimeout, _time, cancellationToken)).ConfigureAwait(false);
        }
        if (Pending > 0)
        {
            ServerLog.WebhookUndelivered(_logger, Pending, (long)_options.DrainTimeout.TotalMilliseconds);
        }
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    private async Task DeliverAsync(SessionEvent e, CancellationToken cancel)
    {
        var body = WebhookPayload.Serialize(e);
        var endpoint = _options.Endpoint!;
        var backoff = FirstBackoff;
        var attempts = 0;
        var lastLog = DateTimeOffset.MinValue;
        while (true)
        {
            attempts++;
            string failure;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
                var contentTypeGiven = false;
                foreach (var (name, value) in _options.Headers)
                {
                    if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                    {
                        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
                        contentTypeGiven = true;
                    }
                    else if (!request.Headers.TryAddWithoutValidation(name, value))
                    {
                        request.Content.Headers.TryAddWithoutValidation(name, value);
                    }
                }
                if (!contentTypeGiven) request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

                using var response = await _http.SendAsync(request, cancel);
                var status = (int)response.StatusCode;
                if (status is >= 200 and < 300)
                {
                    Interlocked.Increment(ref _delivered);
                    _deliveredCounter.Add(1);
                    if (attempts > 1) ServerLog.WebhookRecovered(_logger, endpoint.OriginalString, attempts);
                    return;
                }
                if (status is >= 400 and < 500 and not 408 and not 429)
                {
                    // The backend refused this event; sending it again would be refused again.
                    ServerLog.WebhookRejected(_logger, WebhookPayload.NameOf(e) ?? "?", status);
                    return;
                }
                failure = "HTTP " + status;
            }
            catch (HttpRequestException ex)
            {
                failure = ex.HttpRequestError.ToString();
            }
            catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
            {
                failure = "timeout";
            }

            Interlocked.Increment(ref _failedAttempts);
            var now = _time.GetUtcNow();
            if (now - lastLog >= RetryLogInterval)
            {
                lastLog = now;
                ServerLog.WebhookRetrying(_logger, endpoint.OriginalString, failure, Pending + 1);
            }
            await Task.Delay(backoff, _time, cancel);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
        }
    }
}
