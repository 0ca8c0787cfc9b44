using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Sightline.WebRtc.Transport;

/// <summary>How packets reach one peer: a UDP address on the shared port, or its ICE-TCP connection.</summary>
public abstract class MediaPath
{
    public abstract IPEndPoint Remote { get; }
    public abstract string Protocol { get; }
    public abstract void Send(ReadOnlySpan<byte> packet);
}

internal sealed class UdpPath(UdpMux mux, IPEndPoint remote) : MediaPath
{
    private readonly SocketAddress _address = remote.Serialize();

    internal SocketAddress Address => _address;
    public override IPEndPoint Remote { get; } = remote;
    public override string Protocol => "udp";
    public override void Send(ReadOnlySpan<byte> packet) => mux.Send(packet, _address);
}

/// <summary>
/// One ICE-TCP connection (RFC 6544, passive side): packets framed with a 16-bit length (RFC 4571). Sends are queued to
/// one writer loop in pooled buffers; a slow connection drops its own packets, it never blocks the sender.
/// </summary>
internal sealed class TcpPath : MediaPath, IDisposable
{
    private readonly Socket _socket;
    private readonly Channel<(byte[] Buffer, int Length)> _queue = Channel.CreateBounded<(byte[], int)>(new BoundedChannelOptions(2048) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    public TcpPath(Socket socket, CancellationToken cancel)
    {
        _socket = socket;
        Remote = (IPEndPoint)socket.RemoteEndPoint!;
        _ = WriteLoopAsync(cancel);
    }

    public override IPEndPoint Remote { get; }
    public override string Protocol => "tcp";
    public PeerConnection? Peer { get; set; }
    public long Dropped { get; private set; }

    public override void Send(ReadOnlySpan<byte> packet)
    {
        if (packet.Length > ushort.MaxValue) return;
        var buffer = ArrayPool<byte>.Shared.Rent(packet.Length + 2);
        buffer[0] = (byte)(packet.Length >> 8);
        buffer[1] = (byte)packet.Length;
        packet.CopyTo(buffer.AsSpan(2));
        if (!_queue.Writer.TryWrite((buffer, packet.Length + 2)))
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Dropped++;
        }
    }

    private async Task WriteLoopAsync(CancellationToken cancel)
    {
        try
        {
            await foreach (var (buffer, length) in _queue.Reader.ReadAllAsync(cancel))
            {
                try
                {
                    await _socket.SendAsync(buffer.AsMemory(0, length), SocketFlags.None, cancel);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _socket.Dispose();
    }
}
