using System.Net;
using System.Net.Sockets;

namespace Sightline.Rtsp.Client;

/// <summary>
/// The RTP/RTCP socket pair of one UDP track (RTP on an even port, RTCP on the next, RFC 3550 §11). Each socket has one
/// receive loop; packets from any address but the camera's are ignored.
/// </summary>
internal sealed class UdpPair : IDisposable
{
    private readonly Socket _rtp;
    private readonly Socket _rtcp;
    private RtspTrack? _track;
    private IPEndPoint? _serverRtp;
    private IPEndPoint? _serverRtcp;

    private UdpPair(Socket rtp, Socket rtcp)
    {
        _rtp = rtp;
        _rtcp = rtcp;
        _rtp.ReceiveBufferSize = 4 * 1024 * 1024;
    }

    public int RtpPort => ((IPEndPoint)_rtp.LocalEndPoint!).Port;
    public int RtcpPort => ((IPEndPoint)_rtcp.LocalEndPoint!).Port;
    public long ForeignPackets { get; private set; }

    /// <summary>Binds an even port and the odd port after it.</summary>
    public static UdpPair Open(AddressFamily family)
    {
        var any = family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var port = 20000 + 2 * Random.Shared.Next(0, 20000);
            var rtp = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
            var rtcp = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                rtp.Bind(new IPEndPoint(any, port));
                rtcp.Bind(new IPEndPoint(any, port + 1));
                return new UdpPair(rtp, rtcp);
            }
            catch (SocketException)
            {
                rtp.Dispose();
                rtcp.Dispose();
            }
        }
        throw new RtspException(RtspFailure.UdpBlocked, "no free pair of UDP ports for RTP/RTCP");
    }

    public void Start(RtspTrack track, IPEndPoint serverRtp, IPEndPoint serverRtcp, CancellationToken token)
    {
        _track = track;
        _serverRtp = serverRtp;
        _serverRtcp = serverRtcp;
        _ = ReceiveLoopAsync(_rtp, rtcp: false, token);
        _ = ReceiveLoopAsync(_rtcp, rtcp: true, token);
    }

    /// <summary>Sends one packet to each server port so NATs and firewalls on our side open for the camera's packets.</summary>
    public void Punch()
    {
        if (_serverRtp is null || _serverRtcp is null) return;
        Span<byte> rtp = stackalloc byte[12];
        Sightline.Rtp.Rtp.RtpPacket.WriteHeader(rtp, false, 0, 0, 0, 0);
        Span<byte> rr = stackalloc byte[8];
        Sightline.Rtp.Rtcp.ReceiverReport.Write(rr, 0, null);
        try
        {
            _rtp.SendTo(rtp, _serverRtp);
            _rtcp.SendTo(rr, _serverRtcp);
        }
        catch (SocketException)
        {
            // Best effort: a camera on the same network needs no pinhole.
        }
    }

    public void SendReport(Span<byte> buffer)
    {
        if (_track is null || _serverRtcp is null) return;
        var length = Sightline.Rtp.Rtcp.ReceiverReport.Write(buffer, (uint)RtpPort, _track.BuildReport());
        try
        {
            _rtcp.SendTo(buffer[..length], _serverRtcp);
        }
        catch (SocketException)
        {
        }
    }

    private async Task ReceiveLoopAsync(Socket socket, bool rtcp, CancellationToken token)
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        var camera = _serverRtp!.Address;
        while (!token.IsCancellationRequested)
        {
            SocketReceiveFromResult result;
            try
            {
                result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // ICMP port unreachable and the like: keep listening.
                continue;
            }
            if (!((IPEndPoint)result.RemoteEndPoint).Address.Equals(camera))
            {
                ForeignPackets++;
                continue;
            }
            var packet = buffer.AsSpan(0, result.ReceivedBytes);
            if (rtcp) _track!.OnRtcpPacket(packet);
            else _track!.OnRtpPacket(packet);
        }
    }

    public void Dispose()
    {
        _rtp.Dispose();
        _rtcp.Dispose();
    }
}
