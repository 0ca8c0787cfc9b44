using Sightline.Sessions.Events;
using Sightline.Sessions.Ids;
using Sightline.Sessions.Model;

namespace Sightline.Sessions.Tests;

public class SessionTests
{
    private readonly ManualTime _time = new();
    private readonly RecordingSink _events = new();
    private readonly SessionRegistry _registry;

    public SessionTests()
    {
        var bus = new SessionEventBus();
        bus.Subscribe(_events);
        _registry = new SessionRegistry(new SessionsOptions { TokenUrlBase = "wss://ov.example.com" }, bus, _time, new IdGenerator(new Random(1)));
    }

    private sealed class RecordingSink : ISessionEventSink
    {
        public List<SessionEvent> All { get; } = [];
        public void OnEvent(SessionEvent sessionEvent) => All.Add(sessionEvent);
        public string[] Names() => [.. All.Select(Describe)];

        private static string Describe(SessionEvent e) => e switch
        {
            WebRtcConnectionCreated c => c.SubscriberConnectionId is null ? "created:OUT" : "created:IN",
            WebRtcConnectionDestroyed d => (d.SubscriberConnectionId is null ? "destroyed:OUT:" : "destroyed:IN:") + d.Reason,
            ParticipantLeft l => "left:" + l.Reason,
            SessionDestroyed d => "sessionDestroyed:" + d.Reason,
            _ => e.GetType().Name,
        };
    }

    private Session NewSession(string custom = "")
    {
        Assert.True(_registry.TryCreate(new SessionProperties { CustomSessionId = custom }, out var s));
        return s!;
    }

    private Connection AddCamera(Session s, string uri = "rtsp://10.0.0.7:554/live/ch-1", string data = "cam-A")
    {
        CameraUri.TryParse(uri, out var parsed, out _);
        var props = new ConnectionProperties
        {
            Type = ConnectionType.IPCAM,
            Data = data,
            Role = OpenViduRole.PUBLISHER,
            IpCamera = new IpCameraProperties(uri, true, true, 2000),
        };
        Assert.Equal(SessionError.None, s.AddIpCamera(props, parsed!, "10.0.0.7", out var c));
        return c!;
    }

    private Connection JoinBrowser(Session s, string clientData = "{\"clientData\":\"Bob\"}")
    {
        Assert.Equal(SessionError.None, s.CreateConnection(new ConnectionProperties { Role = OpenViduRole.SUBSCRIBER }, out var pending));
        Assert.Equal(SessionError.None, s.Join(pending!.TokenValue!, "203.0.113.5", "Chrome 124.0.0.0 on Linux 64-bit", clientData, out var joined));
        return joined!;
    }

    [Fact]
    public void CreateSession_RaisesSessionCreated_WithUniqueIdFromCreationTime()
    {
        var s = NewSession();
        Assert.Matches("^ses_[A-Z][0-9A-Za-z]{9}$", s.SessionId);
        Assert.Equal($"{s.SessionId}_{_time.NowMs}", s.UniqueSessionId);
        var created = Assert.IsType<SessionCreated>(Assert.Single(_events.All));
        Assert.Equal(_time.NowMs, created.Timestamp);
    }

    [Fact]
    public void CustomSessionId_InUse_IsRefused_AndFreedWhenClosed()
    {
        var s = NewSession("room1");
        Assert.False(_registry.TryCreate(new SessionProperties { CustomSessionId = "room1" }, out _));
        s.Close(EndReason.sessionClosedByServer);
        Assert.True(_registry.TryCreate(new SessionProperties { CustomSessionId = "room1" }, out _));
    }

    [Fact]
    public void IpCamera_IsActivePublisher_WithOpenViduIdsAndEvents()
    {
        var s = NewSession();
        var cam = AddCamera(s);
        Assert.Matches("^ipc_IPCAM_rtsp_[0-9A-Z]{4}_10_0_0_7_554_live_ch1$", cam.ConnectionId);
        Assert.True(cam.IsActive);
        Assert.Equal("IPCAM", cam.Platform);
        Assert.Null(cam.ClientData);
        Assert.Null(cam.Properties.Role);
        Assert.Equal("cam-A", cam.Properties.Data);
        Assert.Equal(cam.CreatedAt, cam.ActiveAt);
        var stream = cam.Publisher!;
        Assert.Matches("^str_IPC_[A-Z][0-9A-Za-z]{3}_" + cam.ConnectionId + "$", stream.StreamId);
        Assert.Equal("IPCAM", stream.MediaOptions.TypeOfVideo);
        Assert.Equal(["SessionCreated", "ParticipantJoined", "created:OUT"], _events.Names());
        Assert.True(s.EverActive);
    }

    [Fact]
    public void PendingConnection_HasTokenUrl_AndIsRemovedSilently()
    {
        var s = NewSession();
        Assert.Equal(SessionError.None, s.CreateConnection(new ConnectionProperties(), out var c));
        Assert.Equal($"wss://ov.example.com?sessionId={s.SessionId}&token={c!.TokenValue}", c.Token);
        Assert.Equal(ConnectionStatus.Pending, c.Status);
        Assert.Single(s.Snapshot().PendingConnections);
        Assert.Equal(SessionError.None, s.RemoveConnection(c.ConnectionId, EndReason.forceDisconnectByServer));
        Assert.Empty(s.Snapshot().PendingConnections);
        Assert.Equal(["SessionCreated"], _events.Names());
        Assert.False(s.IsClosed);
    }

    [Fact]
    public void Join_UsesTokenOnce()
    {
        var s = NewSession();
        s.CreateConnection(new ConnectionProperties(), out var c);
        Assert.Equal(SessionError.None, s.Join(c!.TokenValue!, "1.2.3.4", "Chrome", "", out var joined));
        Assert.Equal(ConnectionStatus.Active, joined!.Status);
        Assert.Equal(SessionError.TokenNotFound, s.Join(c.TokenValue!, "1.2.3.4", "Chrome", "", out _));
        Assert.Equal(SessionError.TokenNotFound, s.Join("tok_unknown", "1.2.3.4", "Chrome", "", out _));
    }

    [Fact]
    public void RemovingCamera_WithViewer_DestroysSubscriptionThenStreamThenParticipant_AndSessionStays()
    {
        var s = NewSession();
        var cam = AddCamera(s);
        var viewer = JoinBrowser(s);
        Assert.Equal(SessionError.None, s.Subscribe(viewer.ConnectionId, cam.Publisher!.StreamId, out _));
        _events.All.Clear();

        Assert.Equal(SessionError.None, s.RemoveConnection(cam.ConnectionId, EndReason.forceDisconnectByServer));

        Assert.Equal(["destroyed:IN:forceDisconnectByServer", "destroyed:OUT:forceDisconnectByServer", "left:forceDisconnectByServer"], _events.Names());
        var inbound = (WebRtcConnectionDestroyed)_events.All[0];
        Assert.Equal(viewer.ConnectionId, inbound.SubscriberConnectionId);
        Assert.Equal(cam.ConnectionId, inbound.Stream.ConnectionId);
        Assert.False(s.IsClosed);
        Assert.Empty(s.FindConnection(viewer.ConnectionId)!.Subscriptions);
    }

    [Fact]
    public void RemovingLastParticipant_ClosesSession_WithLastParticipantLeft()
    {
        var s = NewSession();
        var cam = AddCamera(s);
        _events.All.Clear();
        _time.Advance(TimeSpan.FromSeconds(70));
        s.RemoveConnection(cam.ConnectionId, EndReason.forceDisconnectByServer);
        Assert.Equal(["destroyed:OUT:forceDisconnectByServer", "left:forceDisconnectByServer", "sessionDestroyed:lastParticipantLeft"], _events.Names());
        var left = (ParticipantLeft)_events.All[1];
        Assert.Equal(70_000, left.Timestamp - left.StartTime);
        Assert.True(s.IsClosed);
        Assert.Null(_registry.Find(s.SessionId));
    }

    [Fact]
    public void CloseSession_EvictsEveryone_WithSessionClosedByServer()
    {
        var s = NewSession();
        var cam = AddCamera(s);
        var viewer = JoinBrowser(s);
        s.Subscribe(viewer.ConnectionId, cam.Publisher!.StreamId, out _);
        _events.All.Clear();
        s.Close(EndReason.sessionClosedByServer);
        Assert.All(_events.All.OfType<ParticipantLeft>(), e => Assert.Equal(EndReason.sessionClosedByServer, e.Reason));
        Assert.All(_events.All.OfType<WebRtcConnectionDestroyed>(), e => Assert.Equal(EndReason.sessionClosedByServer, e.Reason));
        Assert.Equal(2, _events.All.OfType<ParticipantLeft>().Count());
        Assert.Equal(2, _events.All.OfType<WebRtcConnectionDestroyed>().Count());
        Assert.IsType<SessionDestroyed>(_events.All[^1]);
        Assert.Equal(EndReason.sessionClosedByServer, ((SessionDestroyed)_events.All[^1]).Reason);
    }

    [Fact]
    public void ClosingNeverJoinedSession_StillRaisesSessionDestroyed()
    {
        var s = NewSession();
        _events.All.Clear();
        s.Close(EndReason.sessionClosedByServer);
        Assert.Equal(["sessionDestroyed:sessionClosedByServer"], _events.Names());
    }

    [Fact]
    public void ForceUnpublish_OfCameraStream_IsRefused_AndChangesNothing()
    {
        var s = NewSession();
        var cam = AddCamera(s);
        _events.All.Clear();
        Assert.Equal(SessionError.IpCameraStreamCannotBeUnpublished, s.ForceUnpublish(cam.Publisher!.StreamId));
        Assert.Empty(_events.All);
        Assert.NotNull(s.FindConnection(cam.ConnectionId)!.Publisher);
    }

    [Fact]
    public void ForceUnpublish_OfBrowserStream_EndsSubscriptionsThenStream()
    {
        var s = NewSession();
        var publisher = JoinBrowser(s);
        var viewer = JoinBrowser(s);
        Assert.Equal(SessionError.None, s.Publish(publisher.ConnectionId, new MediaOptions(true, true, true, true, "CAMERA", 30, "{\"width\":640,\"height\":480}"), out var stream));
        Assert.StartsWith("str_CAM_", stream!.StreamId);
        s.Subscribe(viewer.ConnectionId, stream.StreamId, out _);
        _events.All.Clear();
        Assert.Equal(SessionError.StreamNotFound, s.ForceUnpublish("str_CAM_nope"));
        Assert.Equal(SessionError.None, s.ForceUnpublish(stream.StreamId));
        Assert.Equal(["destroyed:IN:forceUnpublishByServer", "destroyed:OUT:forceUnpublishByServer"], _events.Names());
    }

    [Fact]
    public void ForceUnpublish_OnSessionNobodyJoined_IsNotActive()
    {
        var s = NewSession();
        Assert.Equal(SessionError.SessionNotActive, s.ForceUnpublish("str_CAM_x_con_y"));
    }

    [Fact]
    public void Subscribe_ToUnknownStream_OrTwice_IsRefused()
    {
        var s = NewSession();
        var cam = AddCamera(s);
        var viewer = JoinBrowser(s);
        Assert.Equal(SessionError.StreamNotFound, s.Subscribe(viewer.ConnectionId, "str_nope", out _));
        Assert.Equal(SessionError.None, s.Subscribe(viewer.ConnectionId, cam.Publisher!.StreamId, out _));
        Assert.Equal(SessionError.AlreadySubscribed, s.Subscribe(viewer.ConnectionId, cam.Publisher!.StreamId, out _));
        Assert.Equal(SessionError.None, s.Unsubscribe(viewer.ConnectionId, cam.Publisher!.StreamId, EndReason.unsubscribe));
        Assert.Equal(SessionError.NotSubscribed, s.Unsubscribe(viewer.ConnectionId, cam.Publisher!.StreamId, EndReason.unsubscribe));
    }

    [Fact]
    public void Signal_ToEveryone_TargetsActiveParticipants_AndUnknownRecipientIsRefused()
    {
        var s = NewSession();
        Assert.Equal(SessionError.SessionNotActive, s.SendSignal(null, [], "t", "d", out _));
        var cam = AddCamera(s);
        var viewer = JoinBrowser(s);
        s.CreateConnection(new ConnectionProperties(), out var pending);
        Assert.Equal(SessionError.None, s.SendSignal(null, [], "chat", "hi", out var recipients));
        Assert.Equal(new[] { cam.ConnectionId, viewer.ConnectionId }.Order(), recipients.Order());
        Assert.Equal(SessionError.InvalidRecipient, s.SendSignal(null, [pending!.ConnectionId], "chat", "hi", out _));
        var sent = _events.All.OfType<SignalSent>().Single();
        Assert.Null(sent.From);
        Assert.Equal("chat", sent.Type);
    }

    [Fact]
    public void GarbageCollector_RemovesOnlyOldSessionsNobodyJoined_Silently()
    {
        var old = NewSession("old");
        _time.Advance(TimeSpan.FromSeconds(3000));
        var young = NewSession("young");
        var used = NewSession("used");
        AddCamera(used);
        _time.Advance(TimeSpan.FromSeconds(700));
        _events.All.Clear();

        Assert.Equal(1, _registry.CollectGarbage(TimeSpan.FromSeconds(3600)));

        Assert.Null(_registry.Find(old.SessionId));
        Assert.NotNull(_registry.Find(young.SessionId));
        Assert.NotNull(_registry.Find(used.SessionId));
        Assert.Empty(_events.All);
    }

    [Fact]
    public void UpdateConnection_ChangesRoleAndRecord_ButNotACameraRole()
    {
        var s = NewSession();
        s.CreateConnection(new ConnectionProperties(), out var c);
        Assert.Equal(SessionError.None, s.UpdateConnection(c!.ConnectionId, OpenViduRole.MODERATOR, false, out var updated));
        Assert.Equal(OpenViduRole.MODERATOR, updated!.Properties.Role);
        Assert.False(updated.Properties.Record);
        var cam = AddCamera(s);
        Assert.Equal(SessionError.WrongConnectionType, s.UpdateConnection(cam.ConnectionId, OpenViduRole.MODERATOR, null, out _));
        Assert.Equal(SessionError.None, s.UpdateConnection(cam.ConnectionId, null, false, out var cam2));
        Assert.False(cam2!.Properties.Record);
    }

    [Fact]
    public void DefaultIceServers_AreCopiedIntoConnectionsThatNameNone()
    {
        var bus = new SessionEventBus();
        var registry = new SessionRegistry(new SessionsOptions { DefaultIceServers = [new IceServer("stun:stun.example.com:3478", null, null, null)] }, bus, _time, new IdGenerator());
        registry.TryCreate(new SessionProperties(), out var s);
        s!.CreateConnection(new ConnectionProperties(), out var c);
        Assert.Equal("stun:stun.example.com:3478", Assert.Single(c!.Properties.CustomIceServers).Url);
    }

    [Fact]
    public void EventsOfOneSession_ArriveInOrder_UnderConcurrentChanges()
    {
        var s = NewSession();
        var cam = AddCamera(s);
        var viewers = Enumerable.Range(0, 50).Select(_ => JoinBrowser(s)).ToList();
        _events.All.Clear();
        Parallel.ForEach(viewers, v =>
        {
            s.Subscribe(v.ConnectionId, cam.Publisher!.StreamId, out _);
            s.Unsubscribe(v.ConnectionId, cam.Publisher!.StreamId, EndReason.unsubscribe);
        });
        // Every viewer's created comes before its destroyed in the single ordered stream.
        foreach (var v in viewers)
        {
            var created = _events.All.FindIndex(e => e is WebRtcConnectionCreated c && c.SubscriberConnectionId == v.ConnectionId);
            var destroyed = _events.All.FindIndex(e => e is WebRtcConnectionDestroyed d && d.SubscriberConnectionId == v.ConnectionId);
            Assert.True(created >= 0 && destroyed > created);
        }
        Assert.Equal(100, _events.All.Count);
    }
}
