using Sightline.Server.Configuration;
using Sightline.Server.Diagnostics;
using Sightline.Sessions;
using Sightline.Sessions.Model;

namespace Sightline.Server.Hosting;

/// <summary>
/// Runs OpenVidu's session garbage collector (every <c>OPENVIDU_SESSIONS_GARBAGE_INTERVAL</c> s, sessions nobody joined for
/// <c>_THRESHOLD</c> s go, silently) and, at shutdown, closes every session with <c>openviduServerStopped</c> before the
/// webhook dispatcher drains.
/// </summary>
public sealed class SessionLifecycleService(
    SessionRegistry registry, SightlineOptions options, TimeProvider time, ILogger<SessionLifecycleService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.GarbageIntervalSeconds <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.GarbageIntervalSeconds), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var removed = registry.CollectGarbage(TimeSpan.FromSeconds(options.GarbageThresholdSeconds));
                    if (removed > 0) ServerLog.GarbageCollected(logger, removed, options.GarbageThresholdSeconds);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "Session garbage collection failed; will try again next interval");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        ServerLog.ClosingSessions(logger, registry.Count);
        registry.CloseAll(EndReason.openviduServerStopped);
    }
}
