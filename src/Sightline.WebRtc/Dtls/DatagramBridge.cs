using System.Threading.Channels;
using Org.BouncyCastle.Tls;

namespace Sightline.WebRtc.Dtls;

/// <summary>
/// BouncyCastle's blocking <see cref="DatagramTransport"/> over our sockets: inbound DTLS records are posted into a
/// bounded channel by the network loop and taken by the handshake thread with a timeout (no polling, no sleeps).
/// </summary>
public sealed class DatagramBridge(Action<ReadOnlyMemory<byte>> send, int mtu = 1200) : DatagramTransport
{
    private readonly Channel<byte[]> _inbound = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private volatile bool _closed;

    /// <summary>Hands one DTLS record received from the network to the DTLS engine.</summary>
    public void Deliver(ReadOnlySpan<byte> datagram)
    {
        if (!_closed) _inbound.Writer.TryWrite(datagram.ToArray());
    }

    public int GetReceiveLimit() => 1500;

    public int GetSendLimit() => mtu;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        if (_closed) throw new TlsFatalAlert(AlertDescription.close_notify);
        if (!_inbound.Reader.TryRead(out var datagram))
        {
            using var timeout = new CancellationTokenSource(Math.Max(1, waitMillis));
            try
            {
                var wait = _inbound.Reader.WaitToReadAsync(timeout.Token).AsTask();
                if (!wait.GetAwaiter().GetResult() || !_inbound.Reader.TryRead(out datagram)) return -1;
            }
            catch (OperationCanceledException)
            {
                return -1; // timeout: BouncyCastle retransmits its flight
            }
        }
        var n = Math.Min(buffer.Length, datagram.Length);
        datagram.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    public void Send(byte[] buf, int off, int len)
    {
        if (_closed) return;
        send(buf.AsMemory(off, len));
    }

    public void Send(ReadOnlySpan<byte> buffer)
    {
        if (_closed) return;
        send(buffer.ToArray());
    }

    public void Close()
    {
        _closed = true;
        _inbound.Writer.TryComplete();
    }
}
