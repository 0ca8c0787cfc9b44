namespace Sightline.Sessions.Events;

/// <summary>Fans session events out to the listeners (signaling, webhooks). Listeners are kept copy-on-write: raising takes no lock.</summary>
public sealed class SessionEventBus
{
    private readonly Lock _gate = new();
    private volatile ISessionEventSink[] _sinks = [];

    /// <summary>Adds a listener; dispose the result to remove it.</summary>
    public IDisposable Subscribe(ISessionEventSink sink)
    {
        lock (_gate)
        {
            _sinks = [.. _sinks, sink];
        }
        return new Subscription(this, sink);
    }

    internal void Raise(SessionEvent sessionEvent)
    {
        foreach (var sink in _sinks)
        {
            sink.OnEvent(sessionEvent);
        }
    }

    private void Remove(ISessionEventSink sink)
    {
        lock (_gate)
        {
            _sinks = Array.FindAll(_sinks, s => !ReferenceEquals(s, sink));
        }
    }

    private sealed class Subscription(SessionEventBus bus, ISessionEventSink sink) : IDisposable
    {
        public void Dispose() => bus.Remove(sink);
    }
}
