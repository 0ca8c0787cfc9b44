namespace Sightline.Sessions.Events;

/// <summary>Receives every session event, in order. Called under the session's lock: it must not block or call back into the session.</summary>
public interface ISessionEventSink
{
    void OnEvent(SessionEvent sessionEvent);
}
