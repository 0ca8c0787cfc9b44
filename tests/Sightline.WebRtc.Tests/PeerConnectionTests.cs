using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Sightline.Rtp.Packetization;
using Sightline.WebRtc.Client;
using Sightline.WebRtc.Dtls;
using Sightline.WebRtc.Stun;
using Sightline.WebRtc.Transport;

namespace Sightline.WebRtc.Tests;

/// <summary>Our server peer against our client peer over loopback UDP: state machine, NACK from history, PLI, consent.</summary>
public class PeerConnectionTests
{
    private static async Task<(UdpMux Mux, PeerConnection Server, WebRtcClient Client)> ConnectAsync(double loss = 0)
    {
        var mux = new UdpMux(new IPEndPoint(IPAddress.Loopback, 0), NullLogger.Instance) { SendLossRate = loss };
        mux.Start();
        var server = new PeerConnection(mux, DtlsCertificate.Create(), NullLogger.Instance);
        var states = new List<PeerState>();
        server.StateChanged += (_, s) => { lock (states) states.Add(s); };
        var client = new WebRtcClient();
        var answer = server.Answer(client.CreateOffer(), [new TrackSpec("video", MediaCodec.H264, "42e01f")], [IPAddress.Loopback], "cam", IceTransports.UdpOnly);
        await client.ConnectAsync(answer, TimeSpan.FromSeconds(10));
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (server.State != PeerState.Connected && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(PeerState.Connected, server.State);
        lock (states) Assert.Equal([PeerState.Checking, PeerState.Connected], states);
        return (mux, server, client);
    }

    private static PacketizedFrame Frame(uint ts, bool key, int size = 5000)
    {
        var au = new byte[4 + size];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(au, (uint)size);
        au[4] = (byte)(key ? 0x65 : 0x41);
        return H264Packetizer.Packetize(au, ts, key);
    }

    [Fact]
    public async Task LostPackets_AreNacked_AndResentOverRtx_FromTheHistory()
    {
        var (mux, server, client) = await ConnectAsync(loss: 0.1);
        await using var _ = mux;
        await using var __ = client;
        var track = server.Tracks.Single();
        Assert.NotNull(track.RtxSsrc);
        for (var i = 0; i < 100; i++)
        {
            server.SendFrame(track, Frame((uint)(i * 3600), i % 25 == 0));
            await Task.Delay(5);
        }
        await Task.Delay(300);
        Assert.True(client.Gaps > 0, "10 % loss made no gap");
        Assert.True(track.NacksReceived > 0);
        Assert.True(client.RtxReceived > 0);
        Assert.Equal(track.Retransmissions, client.RtxReceived);
        // Every gap the client saw was answered from the history.
        Assert.True(track.Retransmissions >= client.Gaps * 0.8, $"{track.Retransmissions} retransmissions for {client.Gaps} lost packets");
    }

    [Fact]
    public async Task FramesBeforeTheFirstKeyframe_AreNotSent_AndPliIsRaised()
    {
        var (mux, server, client) = await ConnectAsync();
        await using var _ = mux;
        await using var __ = client;
        var track = server.Tracks.Single();
        var requests = 0;
        server.KeyframeRequested += (_, _) => Interlocked.Increment(ref requests);
        server.SendFrame(track, Frame(0, key: false));
        Assert.Equal(0, track.PacketsSent);
        server.SendFrame(track, Frame(3600, key: true));
        Assert.True(track.PacketsSent > 0);
        client.SendPli(track.Ssrc);
        var deadline = DateTime.UtcNow.AddSeconds(3);
        while (Volatile.Read(ref requests) == 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(1, requests);
        Assert.Equal(1, track.KeyframeRequests);
    }

    [Fact]
    public async Task ConsentExpires_WhenTheBrowserStopsChecking_Rfc7675()
    {
        await using var mux = new UdpMux(new IPEndPoint(IPAddress.Loopback, 0), NullLogger.Instance);
        mux.Start();
        var time = new ManualTime();
        var server = new PeerConnection(mux, DtlsCertificate.Create(), NullLogger.Instance, time);
        await using var client = new WebRtcClient();
        var answer = server.Answer(client.CreateOffer(), [new TrackSpec("video", MediaCodec.H264)], [IPAddress.Loopback], "cam", IceTransports.UdpOnly);
        client.KeepConsent = true;
        _ = client.ConnectAsync(answer, TimeSpan.FromSeconds(5));
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (server.RemoteEndPoint is null && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.NotNull(server.RemoteEndPoint);
        client.KeepConsent = false;
        await Task.Delay(100);
        time.Advance(TimeSpan.FromSeconds(29));
        server.CheckConsent();
        Assert.NotEqual(PeerState.Failed, server.State);
        time.Advance(TimeSpan.FromSeconds(2));
        server.CheckConsent();
        Assert.Equal(PeerState.Failed, server.State);
    }

    [Fact]
    public async Task BadIntegrity_GetsA401_AndNoPath()
    {
        await using var mux = new UdpMux(new IPEndPoint(IPAddress.Loopback, 0), NullLogger.Instance);
        mux.Start();
        var server = new PeerConnection(mux, DtlsCertificate.Create(), NullLogger.Instance);
        await using var client = new WebRtcClient();
        server.Answer(client.CreateOffer(), [new TrackSpec("video", MediaCodec.H264)], [IPAddress.Loopback]);
        using var udp = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var buffer = new byte[256];
        var w = new StunWriter(buffer, StunMessage.BindingRequest, new byte[12]);
        w.Add(StunAttributeType.Username, System.Text.Encoding.UTF8.GetBytes(server.LocalUfrag + ":abcd"));
        w.AddMessageIntegrity(System.Text.Encoding.UTF8.GetBytes("not-the-password"));
        w.AddFingerprint();
        await udp.SendAsync(buffer.AsMemory(0, w.Length), mux.LocalEndPoint);
        var reply = await udp.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(3));
        Assert.True(StunMessage.TryParse(reply.Buffer, out var m));
        Assert.Equal(StunMessage.BindingError, m.Type);
        Assert.True(m.TryGetAttribute(StunAttributeType.ErrorCode, out var code, out _));
        Assert.Equal(4, code[2]);
        Assert.Equal(1, code[3]);
        Assert.Null(server.RemoteEndPoint);
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = global::System.Diagnostics.Stopwatch.GetTimestamp();

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, (long)(by.TotalSeconds * global::System.Diagnostics.Stopwatch.Frequency));

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);
    }
}
