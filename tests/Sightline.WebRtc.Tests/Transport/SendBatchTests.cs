using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using Sightline.WebRtc.Transport;

namespace Sightline.WebRtc.Tests.Transport;

public class SendBatchTests
{
    [Fact]
    public void NativeLayouts_MatchLinux64()
    {
        Assert.Equal(16, Unsafe.SizeOf<SendBatch.Iovec>());
        Assert.Equal(64, Unsafe.SizeOf<SendBatch.MmsgHdr>()); // struct mmsghdr on x86-64/arm64
    }

    [Fact]
    public async Task EveryDatagram_ReachesItsOwnDestination_Intact()
    {
        await using var mux = new UdpMux(new IPEndPoint(IPAddress.Loopback, 0), NullLogger.Instance);
        using var a = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var b = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        a.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        b.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        a.ReceiveBufferSize = b.ReceiveBufferSize = 1 << 20;
        using var batch = new SendBatch(mux);
        var toA = a.LocalEndPoint!.Serialize();
        var toB = b.LocalEndPoint!.Serialize();
        for (var i = 0; i < 150; i++) // more than one batch: flushes on the way
        {
            var slot = batch.NextSlot();
            slot[0] = (byte)i;
            slot[1] = (byte)(i % 2);
            batch.Commit(2 + i, i % 2 == 0 ? toA : toB);
        }
        batch.Flush();
        Assert.Equal(150, batch.Datagrams);
        Assert.True(batch.SystemCalls <= (OperatingSystem.IsLinux() ? 4 : 150));
        var buffer = new byte[2048];
        for (var i = 0; i < 150; i += 2)
        {
            var n = a.Receive(buffer);
            Assert.Equal((2 + i, (byte)i, (byte)0), (n, buffer[0], buffer[1]));
        }
        for (var i = 1; i < 150; i += 2)
        {
            var n = b.Receive(buffer);
            Assert.Equal((2 + i, (byte)i, (byte)1), (n, buffer[0], buffer[1]));
        }
        Assert.Equal(150, mux.PacketsSent);
    }
}
