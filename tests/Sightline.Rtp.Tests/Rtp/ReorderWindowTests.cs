using Sightline.Rtp.Rtp;

namespace Sightline.Rtp.Tests.Rtp;

public class ReorderWindowTests
{
    private readonly List<(ushort Seq, bool AfterLoss)> _out = [];

    private ReorderWindow Window(int waitMs) => new(waitMs, (packet, afterLoss) => _out.Add(((ushort)(packet[0] << 8 | packet[1]), afterLoss)));

    private static byte[] P(ushort seq) => [(byte)(seq >> 8), (byte)seq];

    [Fact]
    public void InOrderPackets_AreReleasedAtOnce()
    {
        var w = Window(2000);
        for (ushort s = 10; s < 20; s++)
        {
            w.Push(P(s), s, 0);
            Assert.Equal(s, _out[^1].Seq); // released on arrival, before the next packet
        }
        Assert.All(_out, o => Assert.False(o.AfterLoss));
        Assert.Equal(0, w.Held);
    }

    [Fact]
    public void ReorderedPacket_FillsTheGap_AndHeldOnesFollowInOrder()
    {
        var w = Window(2000);
        w.Push(P(1), 1, 0);
        w.Push(P(3), 3, 10);
        w.Push(P(4), 4, 20);
        Assert.Equal([1], _out.Select(o => (int)o.Seq));
        w.Push(P(2), 2, 30);
        Assert.Equal([1, 2, 3, 4], _out.Select(o => (int)o.Seq));
        Assert.Equal(0, w.Lost);
        Assert.All(_out, o => Assert.False(o.AfterLoss));
    }

    [Fact]
    public void Gap_IsGivenUp_AfterNetworkCache_AndMarkedAsLoss()
    {
        var w = Window(100);
        w.Push(P(1), 1, 0);
        w.Push(P(3), 3, 10);
        w.Poll(109);
        Assert.Single(_out);
        w.Poll(110);
        Assert.Equal([(1, false), (3, true)], _out.Select(o => ((int)o.Seq, o.AfterLoss)));
        Assert.Equal(1, w.Lost);
        // The lost packet arriving late is dropped, not delivered out of order.
        w.Push(P(2), 2, 120);
        Assert.Equal(2, _out.Count);
        Assert.Equal(1, w.Late);
    }

    [Fact]
    public void ZeroNetworkCache_NeverWaits()
    {
        var w = Window(0);
        w.Push(P(1), 1, 0);
        w.Push(P(4), 4, 0);
        Assert.Equal([(1, false), (4, true)], _out.Select(o => ((int)o.Seq, o.AfterLoss)));
        Assert.Equal(2, w.Lost);
    }

    [Fact]
    public void SequenceWrapAround_IsOrderedAcrossZero()
    {
        var w = Window(2000);
        w.Push(P(65534), 65534, 0);
        w.Push(P(0), 0, 1);
        w.Push(P(65535), 65535, 2);
        w.Push(P(1), 1, 3);
        Assert.Equal([65534, 65535, 0, 1], _out.Select(o => (int)o.Seq));
        Assert.Equal(0, w.Lost);
    }

    [Fact]
    public void Duplicates_AreDroppedOnce()
    {
        var w = Window(2000);
        w.Push(P(1), 1, 0);
        w.Push(P(3), 3, 0);
        w.Push(P(3), 3, 0);
        w.Push(P(1), 1, 0);
        w.Push(P(2), 2, 0);
        Assert.Equal([1, 2, 3], _out.Select(o => (int)o.Seq));
        Assert.Equal(1, w.Duplicates);
        Assert.Equal(1, w.Late);
    }

    [Fact]
    public void BigJump_IsANewStream_NotAThousandLostPackets()
    {
        var w = Window(2000);
        w.Push(P(100), 100, 0);
        w.Push(P(40000), 40000, 1);
        w.Push(P(40001), 40001, 2);
        Assert.Equal([(100, false), (40000, true), (40001, false)], _out.Select(o => ((int)o.Seq, o.AfterLoss)));
        Assert.Equal(1, w.Resyncs);
        Assert.Equal(0, w.Lost);
    }

    [Fact]
    public void HeldPackets_AreBounded_ByCapacity()
    {
        var w = new ReorderWindow(1_000_000, (_, _) => { }, capacity: 16);
        w.Push(P(0), 0, 0);
        for (ushort s = 2; s < 2000; s++) w.Push(P(s), s, 0);
        Assert.True(w.Held <= 16);
    }
}
