using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Sightline.Media.Sources;
using Sightline.Recording.Containers;
using Sightline.Recording.Individual;
using Sightline.Sessions;
using Sightline.Sessions.Events;
using Sightline.Sessions.Model;

namespace Sightline.Recording;

/// <summary>Where recordings go and how they end: <c>OPENVIDU_RECORDING_PATH</c>, the public URL files are served
/// under, <c>OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT</c>, and the encoder settings of composed recordings.</summary>
public sealed record RecordingOptions(string Path, string PublicUrl, TimeSpan AutostopTimeout);

/// <summary>The outcome of a start request: the recording, or OpenVidu's status code and message.</summary>
public sealed record StartResult(RecordingInfo? Recording, int Status, string? Error);

/// <summary>
/// OpenVidu's recordings: start, stop, list, delete, with the session rules around them (<c>recordingMode: ALWAYS</c>,
/// streams joining and leaving a running recording, the automatic stop, the session outliving its last participant
/// while recorded). Each recording lives in <c>&lt;path&gt;/&lt;id&gt;/</c> with a <c>.recording.&lt;id&gt;</c> metadata
/// file, so the list survives a restart. Status changes are raised as session events (webhooks, browsers).
/// </summary>
public sealed class RecordingManager : ISessionEventSink, IAsyncDisposable
{
    private readonly RecordingOptions _options;
    private readonly SessionRegistry _sessions;
    private readonly CameraSourcePool _cameras;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggers;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Entry> _recordings = new(StringComparer.Ordinal);
    // The running recording of each session (by unique session id): session events find theirs without a scan.
    private readonly Dictionary<string, Entry> _running = new(StringComparer.Ordinal);
    private readonly Channel<Func<Task>> _work = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private readonly List<Task> _finishing = [];

    private sealed class Entry(RecordingInfo info)
    {
        public RecordingInfo Info { get; set; } = info;
        public IRecordingJob? Job { get; set; }
        public Session? Session { get; set; }
        public CancellationTokenSource? Autostop { get; set; }
        public string? Error { get; set; }
    }

    public RecordingManager(RecordingOptions options, SessionRegistry sessions, CameraSourcePool cameras, ILoggerFactory loggers, TimeProvider time)
    {
        _options = options;
        _sessions = sessions;
        _cameras = cameras;
        _loggers = loggers;
        _logger = loggers.CreateLogger<RecordingManager>();
        _time = time;
        Load();
        _loop = Task.Run(RunAsync);
    }

    public RecordingOptions Options => _options;

    private async Task RunAsync()
    {
        await foreach (var work in _work.Reader.ReadAllAsync())
        {
            try
            {
                await work();
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Recording bookkeeping failed");
            }
        }
    }

    // Recordings of earlier runs, from their metadata files. One that was running when the server died (a crash, a
    // kill -9) is finished now from what reached the disk: its files play up to their last fragment, and an INDIVIDUAL
    // one gets its sync JSON and ZIP from the list of streams kept while it ran. If nothing can be made of it, failed.
    private void Load()
    {
        if (!Directory.Exists(_options.Path)) return;
        foreach (var dir in Directory.EnumerateDirectories(_options.Path))
        {
            var id = System.IO.Path.GetFileName(dir);
            var meta = System.IO.Path.Combine(dir, ".recording." + id);
            if (!File.Exists(meta)) continue;
            var info = RecordingJson.Read(File.ReadAllBytes(meta));
            if (info is null) continue;
            if (info.Status is RecordingStatus.starting or RecordingStatus.started or RecordingStatus.stopped)
            {
                var recovered = Recover(info, dir);
                if (recovered is not null)
                {
                    info = recovered;
                    _logger.LogWarning("Recording {Id} was interrupted (the server died while it ran) and is finished from what reached the disk: {Duration} s, {Size} bytes", id, info.Duration, info.Size);
                }
                else
                {
                    info = info with { Status = RecordingStatus.failed };
                    _logger.LogWarning("Recording {Id} was interrupted (the server died while it ran) and nothing playable reached the disk: marked failed", id);
                }
                TrySave(info);
            }
            _recordings[id] = new Entry(info);
        }
    }

    private RecordingInfo? Recover(RecordingInfo info, string dir)
    {
        try
        {
            if (info.Properties.OutputMode == OutputMode.INDIVIDUAL)
            {
                var listed = System.IO.Path.Combine(dir, IndividualJob.StreamsFile);
                if (!File.Exists(listed)) return null;
                var entries = System.Text.Json.JsonSerializer.Deserialize<List<IndividualOutput.Entry>>(File.ReadAllBytes(listed)) ?? [];
                var files = new List<IndividualOutput.File>();
                foreach (var e in entries)
                {
                    var path = new[] { ".mp4", ".webm" }.Select(x => System.IO.Path.Combine(dir, e.File + x)).FirstOrDefault(File.Exists);
                    if (path is null || MediaFileInfo.Read(path) is not { DurationSeconds: > 0 } media) continue;
                    var start = Math.Max(0, e.AddedAt - info.CreatedAt);
                    files.Add(new IndividualOutput.File(path, e.ConnectionId, e.StreamId, e.ClientData, e.ServerData, media.HasAudio, media.HasVideo, e.TypeOfVideo, start, start + (long)(media.DurationSeconds * 1000)));
                }
                if (files.Count == 0) return null;
                foreach (var stale in new[] { ".zip", ".json" }) File.Delete(System.IO.Path.Combine(dir, info.Name + stale));
                var result = IndividualOutput.WriteAsync(info, dir, files).GetAwaiter().GetResult();
                if (result.Error is not null) return null;
                return info with { Status = RecordingStatus.ready, Size = result.Size, Duration = Math.Round(result.Duration, 3), Url = UrlOf(info.Id, result.MainFile!) };
            }
            var video = System.IO.Path.Combine(dir, info.Id + ".mp4");
            if (!File.Exists(video) || MediaFileInfo.Read(video) is not { DurationSeconds: > 0 } composed) return null;
            return info with { Status = RecordingStatus.ready, Size = new FileInfo(video).Length, Duration = Math.Round(composed.DurationSeconds, 3), Url = UrlOf(info.Id, info.Id + ".mp4") };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            _logger.LogWarning("Recording {Id} could not be finished after the interruption: {Reason}", info.Id, e.Message);
            return null;
        }
    }

    private string UrlOf(string id, string file) => $"{_options.PublicUrl.TrimEnd('/')}/openvidu/recordings/{id}/{file}";

    public IReadOnlyList<RecordingInfo> List()
    {
        _gate.Wait();
        try
        {
            return [.. _recordings.Values.Select(e => e.Info).OrderBy(r => r.CreatedAt)];
        }
        finally
        {
            _gate.Release();
        }
    }

    public RecordingInfo? Get(string id)
    {
        _gate.Wait();
        try
        {
            return _recordings.TryGetValue(id, out var e) ? e.Info : null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A file of a recording on disk (null when the recording or the file does not exist).</summary>
    public string? FilePath(string id, string file)
    {
        if (Get(id) is null || file.Length == 0 || file != System.IO.Path.GetFileName(file) || file.StartsWith('.')) return null;
        var path = System.IO.Path.Combine(_options.Path, id, file);
        return File.Exists(path) ? path : null;
    }

    /// <summary>Starts recording a session (REST <c>POST /recordings/start</c>, or <c>recordingMode: ALWAYS</c>).</summary>
    public async Task<StartResult> StartAsync(string sessionId, RecordingProperties properties)
    {
        await _gate.WaitAsync();
        try
        {
            return StartLocked(sessionId, properties);
        }
        finally
        {
            _gate.Release();
        }
    }

    private StartResult StartLocked(string sessionId, RecordingProperties properties)
    {
        var session = _sessions.Find(sessionId);
        if (session is null) return new StartResult(null, 404, null);
        if (session.Properties.MediaMode == MediaMode.RELAYED) return new StartResult(null, 409, null);
        if (_running.ContainsKey(session.UniqueSessionId)) return new StartResult(null, 409, null);
        var snapshot = session.Snapshot();
        if (snapshot.ActiveConnections.Count == 0) return new StartResult(null, 406, null);
        if (properties.OutputMode == OutputMode.COMPOSED_QUICK_START) properties = properties with { OutputMode = OutputMode.COMPOSED };
        var id = sessionId;
        for (var n = 1; _recordings.ContainsKey(id) || Directory.Exists(System.IO.Path.Combine(_options.Path, id)); n++) id = $"{sessionId}-{n}";
        var folder = System.IO.Path.Combine(_options.Path, id);
        try
        {
            // Can we write there at all? A read-only or missing disk is an error now, not a silent empty recording.
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(System.IO.Path.Combine(folder, ".recording." + id), []);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogError("Cannot start recording session {Session}: the recording path {Path} is not writable: {Reason}", sessionId, _options.Path, e.Message);
            try { Directory.Delete(folder, true); } catch (IOException) { /* nothing was made */ } catch (UnauthorizedAccessException) { }
            return new StartResult(null, 500, $"Error starting recording: the recording path is not writable ({e.Message})");
        }
        var info = new RecordingInfo(id, sessionId, _time.GetUtcNow().ToUnixTimeMilliseconds(), properties, RecordingStatus.started, 0, 0, null);
        var entry = new Entry(info) { Session = session };
        var logger = _loggers.CreateLogger("Sightline.Recording." + properties.OutputMode);
        IRecordingJob job = properties.OutputMode == OutputMode.INDIVIDUAL
            ? new IndividualJob(info, folder, _cameras, logger, _time)
            : new Composed.ComposedJob(info, folder, _cameras, logger, _time);
        job.Failed += error => _work.Writer.TryWrite(() => FailAsync(entry, error));
        entry.Job = job;
        _recordings[id] = entry;
        _running[session.UniqueSessionId] = entry;
        foreach (var c in snapshot.ActiveConnections)
        {
            if (c.Publisher is { } stream) job.AddStream(stream, c);
        }
        TrySave(info);
        session.ReportRecording(true, new RecordingStatusChanged(sessionId, session.UniqueSessionId, info.CreatedAt, info, null));
        _logger.LogInformation("Recording {Id} of session {Session} started ({Mode})", id, sessionId, properties.OutputMode);
        EvaluateAutostop(entry);
        return new StartResult(info, 200, null);
    }

    /// <summary>Stops a recording (REST <c>POST /recordings/stop/{id}</c>): answers at once with status <c>stopped</c>; the
    /// files are finished in the background, then the status becomes <c>ready</c> (or <c>failed</c>).</summary>
    public async Task<(RecordingInfo? Recording, int Status)> StopAsync(string id, EndReason reason = EndReason.recordingStoppedByServer)
    {
        await _gate.WaitAsync();
        try
        {
            if (!_recordings.TryGetValue(id, out var entry)) return (null, 404);
            if (entry.Info.Status == RecordingStatus.starting) return (null, 406);
            if (entry.Info.Status != RecordingStatus.started) return (null, 409);
            StopLocked(entry, reason);
            return (entry.Info, 200);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void StopLocked(Entry entry, EndReason reason)
    {
        if (entry.Info.Status != RecordingStatus.started) return;
        _running.Remove(entry.Session!.UniqueSessionId);
        entry.Autostop?.Cancel();
        entry.Autostop = null;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        entry.Info = entry.Info with { Status = RecordingStatus.stopped, Duration = (now - entry.Info.CreatedAt) / 1000.0 };
        TrySave(entry.Info);
        var session = entry.Session!;
        session.ReportRecording(false, new RecordingStatusChanged(session.SessionId, session.UniqueSessionId, now, entry.Info, reason));
        _logger.LogInformation("Recording {Id} stopped ({Reason})", entry.Info.Id, reason);
        var job = entry.Job!;
        lock (_finishing) _finishing.Add(Task.Run(() => FinishAsync(entry, job, reason)));
        // A session kept open only by its recording (its last participant left) closes with it, as OpenVidu does.
        if (reason != EndReason.automaticStop && !session.IsClosed && session.Snapshot().ActiveConnections.Count == 0 && session.EverActive)
        {
            session.Close(EndReason.lastParticipantLeft);
        }
    }

    private async Task FinishAsync(Entry entry, IRecordingJob job, EndReason reason)
    {
        JobResult result;
        try
        {
            result = await job.FinishAsync();
        }
        catch (Exception e)
        {
            result = new JobResult(0, 0, null, e.Message);
        }
        await _gate.WaitAsync();
        try
        {
            var error = entry.Error ?? result.Error;
            var url = error is null && result.MainFile is not null ? UrlOf(entry.Info.Id, result.MainFile) : null;
            entry.Info = entry.Info with
            {
                Status = error is null ? RecordingStatus.ready : RecordingStatus.failed,
                Size = result.Size,
                Duration = result.Duration > 0 ? Math.Round(result.Duration, 3) : entry.Info.Duration,
                Url = url,
            };
            entry.Job = null;
            TrySave(entry.Info);
            if (error is null) _logger.LogInformation("Recording {Id} ready: {Size} bytes, {Duration} s", entry.Info.Id, entry.Info.Size, entry.Info.Duration);
            else _logger.LogError("Recording {Id} failed: {Reason}", entry.Info.Id, error);
            var session = entry.Session!;
            session.ReportRecording(false, new RecordingStatusChanged(session.SessionId, session.UniqueSessionId, _time.GetUtcNow().ToUnixTimeMilliseconds(), entry.Info, reason, error));
        }
        finally
        {
            _gate.Release();
        }
    }

    // A stream could not be written (disk full, folder gone): the recording ends, failed, with the reason.
    private async Task FailAsync(Entry entry, string error)
    {
        await _gate.WaitAsync();
        try
        {
            entry.Error ??= error;
            StopLocked(entry, EndReason.recordingStoppedByServer);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Deletes a finished recording and its files (REST <c>DELETE /recordings/{id}</c>).</summary>
    public async Task<int> DeleteAsync(string id)
    {
        await _gate.WaitAsync();
        try
        {
            if (!_recordings.TryGetValue(id, out var entry)) return 404;
            if (entry.Info.Status is RecordingStatus.starting or RecordingStatus.started or RecordingStatus.stopped) return 409;
            try
            {
                Directory.Delete(System.IO.Path.Combine(_options.Path, id), recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
            _recordings.Remove(id);
            return 204;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void OnEvent(SessionEvent e) => _work.Writer.TryWrite(() => HandleAsync(e));

    private async Task HandleAsync(SessionEvent e)
    {
        await _gate.WaitAsync();
        try
        {
            var entry = _running.GetValueOrDefault(e.UniqueSessionId);
            switch (e)
            {
                case WebRtcConnectionCreated { SubscriberConnectionId: null } created:
                    var session = _sessions.Find(e.SessionId);
                    if (session is null || session.UniqueSessionId != e.UniqueSessionId) break;
                    if (entry is null)
                    {
                        // recordingMode ALWAYS: the first published stream starts the recording with the session's defaults.
                        if (session.Properties.RecordingMode == RecordingMode.ALWAYS)
                        {
                            var result = StartLocked(session.SessionId, session.Properties.DefaultRecordingProperties);
                            if (result.Recording is null) _logger.LogError("Session {Session} (recordingMode ALWAYS) could not start recording: {Status} {Error}", session.SessionId, result.Status, result.Error);
                        }
                        break;
                    }
                    if (session.FindConnection(created.Stream.ConnectionId) is { } publisher) entry.Job!.AddStream(created.Stream, publisher);
                    EvaluateAutostop(entry);
                    break;
                case WebRtcConnectionDestroyed { SubscriberConnectionId: null } destroyed when entry is not null:
                    await entry.Job!.RemoveStreamAsync(destroyed.Stream.StreamId);
                    EvaluateAutostop(entry);
                    break;
                case ParticipantJoined or ParticipantLeft when entry is not null:
                    EvaluateAutostop(entry);
                    break;
                case SessionDestroyed destroyed when entry is not null:
                    StopLocked(entry, destroyed.Reason switch
                    {
                        EndReason.lastParticipantLeft => EndReason.lastParticipantLeft,
                        EndReason.automaticStop => EndReason.automaticStop,
                        EndReason.openviduServerStopped => EndReason.openviduServerStopped,
                        _ => EndReason.sessionClosedByServer,
                    });
                    break;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    // Nobody publishing in a recorded session (its cameras all removed, or its last participant gone): the recording
    // stops after OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT unless someone publishes again; then an empty session closes.
    private void EvaluateAutostop(Entry entry)
    {
        var session = entry.Session!;
        var snapshot = session.Snapshot();
        var publishing = snapshot.ActiveConnections.Any(c => c.Publisher is not null);
        if (publishing)
        {
            entry.Autostop?.Cancel();
            entry.Autostop = null;
            return;
        }
        if (entry.Autostop is not null) return;
        var cts = new CancellationTokenSource();
        entry.Autostop = cts;
        _logger.LogInformation("Recording {Id}: nobody publishes in session {Session}; it stops in {Seconds} s unless someone does", entry.Info.Id, session.SessionId, _options.AutostopTimeout.TotalSeconds);
        _ = Task.Delay(_options.AutostopTimeout, _time, cts.Token).ContinueWith(t =>
        {
            if (t.IsCanceled) return;
            _work.Writer.TryWrite(async () =>
            {
                await _gate.WaitAsync();
                try
                {
                    if (entry.Autostop != cts) return;
                    StopLocked(entry, EndReason.automaticStop);
                }
                finally
                {
                    _gate.Release();
                }
                if (session.Snapshot().ActiveConnections.Count == 0) session.Close(EndReason.automaticStop);
            });
        }, TaskScheduler.Default);
    }

    private void TrySave(RecordingInfo info)
    {
        try
        {
            var folder = System.IO.Path.Combine(_options.Path, info.Id);
            Directory.CreateDirectory(folder);
            var path = System.IO.Path.Combine(folder, ".recording." + info.Id);
            var temp = path + ".tmp";
            File.WriteAllBytes(temp, RecordingJson.ToBytes(info));
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogError("Recording {Id}: cannot save its metadata: {Reason}", info.Id, e.Message);
        }
    }

    /// <summary>Stops every running recording (server shutdown) and waits for their files to be finished.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            foreach (var entry in _running.Values.ToList()) StopLocked(entry, EndReason.openviduServerStopped);
        }
        finally
        {
            _gate.Release();
        }
        Task[] finishing;
        lock (_finishing) finishing = [.. _finishing];
        await Task.WhenAll(finishing);
        _work.Writer.TryComplete();
        await _loop;
    }
}
