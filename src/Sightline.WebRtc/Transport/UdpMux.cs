using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Sightline.WebRtc.Stun;

namespace Sightline.WebRtc.Transport;

/// <summary>
/// All WebRTC peers on one port: UDP, and the same port number in TCP for ICE-TCP (RFC 6544 passive candidates, RFC 4571
/// framing). A STUN binding request is routed by its USERNAME (our ICE ufrag), anything else by the remote address (UDP)
/// or the connection (TCP) the peer was seen on. Sends are synchronous datagrams from the caller's thread.
/// </summary>
public sealed class UdpMux : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly ConcurrentDictionary<string, PeerConnection> _byUfrag = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<IPEndPoint, PeerConnection> _byAddress = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;
    private Task? _loop;
    private long _unknown, _malformed;

    public UdpMux(IPEndPoint bind, ILogger logger)
    {
        _logger = logger;
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.SendBufferSize = 8 * 1024 * 1024;
        _socket.ReceiveBufferSize = 4 * 1024 * 1024;
        _socket.Bind(bind);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        try
        {
            _tcp = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            _tcp.Bind(new IPEndPoint(bind.Address, LocalEndPoint.Port));
            _tcp.Listen(128);
        }
        catch (SocketException e)
        {
            // The UDP port's number is taken in TCP: ICE-TCP is then unavailable, UDP still works.
            _tcp?.Dispose();
            _tcp = null;
            _logger.LogWarning("ICE-TCP disabled: cannot listen on TCP port {Port} ({Error})", LocalEndPoint.Port, e.SocketErrorCode);
        }
    }

    private readonly Socket? _tcp;

    /// <summary>True when ICE-TCP candidates can be offered (the TCP port is listening).</summary>
    public bool TcpAvailable => _tcp is not null;

    public IPEndPoint LocalEndPoint { get; }
    public long UnknownPackets => Interlocked.Read(ref _unknown);
    public long MalformedPackets => Interlocked.Read(ref _malformed);
    public int Peers => _byUfrag.Count;

    /// <summary>Test-only loss injection: the fraction of outgoing RTP packets silently dropped (0 = none).</summary>
    /// <remarks>
    /// The first <see cref="LossSparedPackets"/> packets are spared: a receiver cannot NACK what comes before the first
    /// packet it sees (it asks for a keyframe instead), which a file-fed test cannot produce on demand.
    /// </remarks>
    public double SendLossRate { get; set; }

    public int LossSparedPackets { get; set; } = 30;
    private long _lossCandidates;

    public void Start()
    {
        _loop ??= Task.Run(() => ReceiveLoopAsync(_stop.Token));
        if (_tcp is not null) _ = Task.Run(() => AcceptLoopAsync(_tcp, _stop.Token));
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (token.IsCancellationRequested) return;
                continue;
            }
            client.NoDelay = true;
            _ = Task.Run(() => TcpReadLoopAsync(client, token), token);
        }
    }

    private async Task TcpReadLoopAsync(Socket socket, CancellationToken token)
    {
        using var path = new TcpPath(socket, token);
        var buffer = new byte[4096 + 2];
        var header = new byte[2];
        try
        {
            while (!token.IsCancellationRequested)
            {
                if (!await ReadExactlyAsync(socket, header, 2, token)) return;
                var length = header[0] << 8 | header[1];
                if (length == 0 || length > buffer.Length) return; // nothing legitimate is that big: drop the connection
                if (!await ReadExactlyAsync(socket, buffer, length, token)) return;
                try
                {
                    DispatchTcp(buffer.AsSpan(0, length), path);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Interlocked.Increment(ref _malformed);
                    _logger.LogWarning(e, "Dropped an ICE-TCP packet from {Remote} that could not be handled", path.Remote);
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            path.Peer?.OnPathClosed(path);
        }
    }

    private static async Task<bool> ReadExactlyAsync(Socket socket, byte[] buffer, int count, CancellationToken token)
    {
        var read = 0;
        while (read < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read, count - read), SocketFlags.None, token);
            if (n == 0) return false;
            read += n;
        }
        return true;
    }

    private void DispatchTcp(ReadOnlySpan<byte> packet, TcpPath path)
    {
        var kind = PacketClassifier.Classify(packet);
        if (kind == PacketKind.Stun)
        {
            if (!StunMessage.TryParse(packet, out var stun))
            {
                Interlocked.Increment(ref _malformed);
                return;
            }
            var username = stun.Username;
            var colon = username?.IndexOf(':') ?? -1;
            var peer = username is not null && colon > 0 && _byUfrag.TryGetValue(username[..colon], out var p) ? p : path.Peer;
            if (peer is null)
            {
                Interlocked.Increment(ref _unknown);
                return;
            }
            if (peer.OnStun(stun, path)) path.Peer = peer;
            return;
        }
        if (path.Peer is { } target && kind != PacketKind.Unknown) target.OnPacket(kind, packet);
        else Interlocked.Increment(ref _unknown);
    }

    internal void Register(PeerConnection peer) => _byUfrag[peer.LocalUfrag] = peer;

    internal void Unregister(PeerConnection peer)
    {
        _byUfrag.TryRemove(new KeyValuePair<string, PeerConnection>(peer.LocalUfrag, peer));
        foreach (var (address, p) in _byAddress)
        {
            if (ReferenceEquals(p, peer)) _byAddress.TryRemove(address, out _);
        }
    }

    internal void Bind(IPEndPoint remote, PeerConnection peer) => _byAddress[remote] = peer;

    /// <summary>Datagrams and bytes sent on the UDP port (media, checks, DTLS).</summary>
    public long PacketsSent => Interlocked.Read(ref _packetsSent);
    public long BytesSent => Interlocked.Read(ref _bytesSent);
    private long _packetsSent, _bytesSent;

    internal nint SocketHandle => _socket.Handle;

    internal void CountSent(int packets, long bytes)
    {
        Interlocked.Add(ref _packetsSent, packets);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    internal void Send(ReadOnlySpan<byte> datagram, SocketAddress to)
    {
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, to);
            Interlocked.Increment(ref _packetsSent);
            Interlocked.Add(ref _bytesSent, datagram.Length);
        }
        catch (SocketException)
        {
            // A full send buffer or an unreachable peer loses this datagram only.
        }
    }

    internal bool ShouldDrop() =>
        SendLossRate > 0 && Interlocked.Increment(ref _lossCandidates) > LossSparedPackets && Random.Shared.NextDouble() < SendLossRate;

    private async Task ReceiveLoopAsync(CancellationToken token)
    {
        var buffer = new byte[2048];
        EndPoint any = new IPEndPoint(LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!token.IsCancellationRequested)
        {
            SocketReceiveFromResult result;
            try
            {
                result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // ICMP errors from a gone peer
            }
            try
            {
                Dispatch(buffer.AsSpan(0, result.ReceivedBytes), (IPEndPoint)result.RemoteEndPoint);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // One bad datagram never stops the port for everyone.
                Interlocked.Increment(ref _malformed);
                _logger.LogWarning(e, "Dropped a datagram from {Remote} that could not be handled", result.RemoteEndPoint);
            }
        }
    }

    private void Dispatch(ReadOnlySpan<byte> packet, IPEndPoint remote)
    {
        var kind = PacketClassifier.Classify(packet);
        if (kind == PacketKind.Stun)
        {
            if (!StunMessage.TryParse(packet, out var stun))
            {
                Interlocked.Increment(ref _malformed);
                return;
            }
            var username = stun.Username;
            var colon = username?.IndexOf(':') ?? -1;
            if (username is not null && colon > 0 && _byUfrag.TryGetValue(username[..colon], out var peer))
            {
                peer.OnStun(stun, new UdpPath(this, remote));
                return;
            }
            if (_byAddress.TryGetValue(remote, out var known))
            {
                known.OnStun(stun, new UdpPath(this, remote));
                return;
            }
            Interlocked.Increment(ref _unknown);
            return;
        }
        if (kind == PacketKind.Unknown)
        {
            Interlocked.Increment(ref _malformed);
            return;
        }
        if (_byAddress.TryGetValue(remote, out var target))
        {
            target.OnPacket(kind, packet);
        }
        else
        {
            Interlocked.Increment(ref _unknown);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _socket.Dispose();
        _tcp?.Dispose();
        if (_loop is not null)
        {
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stop.Dispose();
    }

    internal static string RandomString(int length)
    {
        const string chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        return System.Security.Cryptography.RandomNumberGenerator.GetString(chars, length);
    }

    internal static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
