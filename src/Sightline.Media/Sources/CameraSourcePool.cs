using Microsoft.Extensions.Logging;

namespace Sightline.Media.Sources;

/// <summary>
/// One <see cref="CameraSource"/> per camera URI, however many sessions publish it: cheap cameras accept one or two RTSP
/// clients, so a camera is pulled once. A source is held by its publications (always-on ones keep it playing) and its
/// viewers; with only on-demand publications it plays while someone watches, and stops a linger time after the last viewer.
/// </summary>
public sealed class CameraSourcePool(ILoggerFactory loggers, TimeSpan linger, Transcoding.LadderOptions? ladder = null, Ingest.CameraFiles? files = null) : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private sealed class Entry(CameraSource source)
    {
        public CameraSource Source { get; } = source;
        public int Publications;
        public int AlwaysOn;
        public int Viewers;
        public CancellationTokenSource? StopTimer;
    }

    public int Count
    {
        get { lock (_gate) return _entries.Count; }
    }

    /// <summary>A session published this camera. <paramref name="onlyPlayWithSubscribers"/> false = connect now and keep it.</summary>
    public CameraSource Publish(string uri, int networkCacheMs, bool onlyPlayWithSubscribers)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(uri, out var e))
            {
                e = new Entry(new CameraSource(uri, networkCacheMs, loggers.CreateLogger("Sightline.Media.Camera"), files) { LadderOptions = ladder ?? new() });
                _entries[uri] = e;
            }
            e.Publications++;
            if (!onlyPlayWithSubscribers) e.AlwaysOn++;
            Evaluate(e);
            return e.Source;
        }
    }

    /// <summary>A session removed its publication of this camera.</summary>
    public void Unpublish(string uri, bool onlyPlayWithSubscribers)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(uri, out var e)) return;
            e.Publications--;
            if (!onlyPlayWithSubscribers) e.AlwaysOn--;
            if (e.Publications <= 0)
            {
                _entries.Remove(uri);
                e.StopTimer?.Cancel();
                _ = e.Source.DisposeAsync().AsTask();
                return;
            }
            Evaluate(e);
        }
    }

    /// <summary>
    /// Holds a published camera playing for a recorder, as a viewer would (an on-demand camera connects and stays);
    /// <see cref="RecorderLease.Attach"/> gives the recorder its frames; disposing the lease detaches it and lets go.
    /// Null when the camera is not published.
    /// </summary>
    public RecorderLease? HoldForRecorder(string uri)
    {
        var source = Find(uri);
        if (source is null) return null;
        ViewerJoined(uri);
        return new RecorderLease(this, source, uri);
    }

    /// <summary>A camera held for one recorder (see <see cref="HoldForRecorder"/>).</summary>
    public sealed class RecorderLease(CameraSourcePool pool, CameraSource source, string uri) : IDisposable
    {
        private IFrameSink? _sink;
        private int _released;

        public CameraSource Source { get; } = source;

        public void Attach(IFrameSink sink)
        {
            _sink = sink;
            Source.AddRecorder(sink);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 1) return;
            if (_sink is not null) Source.RemoveRecorder(_sink);
            pool.ViewerLeft(uri);
        }
    }

    /// <summary>Every camera source now (for metrics).</summary>
    public CameraSource[] Sources()
    {
        lock (_gate) return [.. _entries.Values.Select(e => e.Source)];
    }

    public CameraSource? Find(string uri)
    {
        lock (_gate) return _entries.TryGetValue(uri, out var e) ? e.Source : null;
    }

    public void ViewerJoined(string uri)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(uri, out var e)) return;
            e.Viewers++;
            Evaluate(e);
        }
    }

    public void ViewerLeft(string uri)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(uri, out var e)) return;
            e.Viewers = Math.Max(0, e.Viewers - 1);
            Evaluate(e);
        }
    }

    private void Evaluate(Entry e)
    {
        var wanted = e.AlwaysOn > 0 || e.Viewers > 0;
        if (wanted)
        {
            e.StopTimer?.Cancel();
            e.StopTimer = null;
            e.Source.Start();
            return;
        }
        if (!e.Source.IsRunning || e.StopTimer is not null) return;
        // Nobody watches: keep the camera a little longer so a quick resubscribe does not reconnect.
        var timer = new CancellationTokenSource();
        e.StopTimer = timer;
        _ = Task.Delay(linger, timer.Token).ContinueWith(t =>
        {
            if (t.IsCanceled) return;
            lock (_gate)
            {
                if (e.StopTimer != timer) return;
                e.StopTimer = null;
            }
            _ = e.Source.StopAsync();
        }, TaskScheduler.Default);
    }

    public async ValueTask DisposeAsync()
    {
        List<Entry> all;
        lock (_gate)
        {
            all = [.. _entries.Values];
            _entries.Clear();
        }
        foreach (var e in all) await e.Source.DisposeAsync();
    }
}
