using System.Collections.Concurrent;
using Sightline.Sessions.Events;
using Sightline.Sessions.Ids;
using Sightline.Sessions.Model;

namespace Sightline.Sessions;

/// <summary>All sessions of this server, by id.</summary>
public sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _createGate = new();
    private readonly TimeProvider _time;

    public SessionRegistry(SessionsOptions options, SessionEventBus events, TimeProvider time, IdGenerator ids)
    {
        Options = options;
        Events = events;
        _time = time;
        Ids = ids;
    }

    public SessionsOptions Options { get; }
    public SessionEventBus Events { get; }
    internal IdGenerator Ids { get; }

    public int Count => _sessions.Count;

    /// <summary>Creates a session (raising <see cref="SessionCreated"/>); false if the custom id is taken.</summary>
    public bool TryCreate(SessionProperties properties, out Session? session)
    {
        lock (_createGate)
        {
            var id = properties.CustomSessionId;
            if (id.Length > 0)
            {
                if (_sessions.ContainsKey(id))
                {
                    session = null;
                    return false;
                }
            }
            else
            {
                do { id = Ids.NewSessionId(); } while (_sessions.ContainsKey(id));
            }
            session = new Session(this, id, Now(), properties);
            _sessions[id] = session;
            Events.Raise(new SessionCreated(session.SessionId, session.UniqueSessionId, session.CreatedAt));
            return true;
        }
    }

    public Session? Find(string sessionId) =>
        _sessions.TryGetValue(sessionId, out var s) && !s.IsClosed ? s : null;

    /// <summary>Sessions open now, in creation order.</summary>
    public IReadOnlyList<Session> All()
    {
        var list = new List<Session>(_sessions.Count);
        foreach (var s in _sessions.Values)
        {
            if (!s.IsClosed) list.Add(s);
        }
        list.Sort(static (a, b) => a.CreatedAt.CompareTo(b.CreatedAt));
        return list;
    }

    /// <summary>Removes sessions nobody ever joined that were created more than <paramref name="threshold"/> ago. No event.</summary>
    public int CollectGarbage(TimeSpan threshold)
    {
        var olderThan = Now() - (long)threshold.TotalMilliseconds;
        var removed = 0;
        foreach (var s in _sessions.Values)
        {
            if (s.TryCollect(olderThan))
            {
                Forget(s);
                removed++;
            }
        }
        return removed;
    }

    /// <summary>Closes every session (server shutdown).</summary>
    public void CloseAll(EndReason reason)
    {
        foreach (var s in _sessions.Values)
        {
            s.Close(reason);
        }
    }

    internal long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    internal void Forget(Session session) =>
        _sessions.TryRemove(new KeyValuePair<string, Session>(session.SessionId, session));
}
