using System.Threading.Channels;
using Sightline.Server.Configuration;
using Sightline.Sessions.Events;

namespace Sightline.Server.Webhooks;

/// <summary>
/// OpenVidu's CDR (<c>OPENVIDU_CDR=true</c>): every session event that webhooks carry, one JSON line each,
/// <c>{"eventName":{…}}</c>, appended to <c>cdr.log</c> in <c>OPENVIDU_CDR_PATH</c>. Written by one background loop from
/// a bounded queue; a folder that cannot be written is reported once and the server goes on.
/// </summary>
public sealed class CdrWriter(SightlineOptions options, ILogger<CdrWriter> logger) : BackgroundService, ISessionEventSink
{
    private readonly Channel<SessionEvent> _queue = Channel.CreateBounded<SessionEvent>(new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    public string FilePath => Path.Combine(options.CdrPath, "cdr.log");

    public void OnEvent(SessionEvent sessionEvent)
    {
        if (options.Cdr && WebhookPayload.NameOf(sessionEvent) is not null) _queue.Writer.TryWrite(sessionEvent);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Cdr) return;
        FileStream file;
        try
        {
            Directory.CreateDirectory(options.CdrPath);
            file = new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogError("OPENVIDU_CDR: cannot write {Path}: {Reason}; no CDR will be kept", FilePath, e.Message);
            return;
        }
        await using (file)
        {
            try
            {
                await foreach (var e in _queue.Reader.ReadAllAsync(stoppingToken))
                {
                    await file.WriteAsync(WebhookPayload.CdrLine(e), stoppingToken);
                    if (_queue.Reader.Count == 0) await file.FlushAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (ExecuteTask is { } running) await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(5), cancellationToken));
        await base.StopAsync(cancellationToken);
    }
}
