using Sightline.WebRtc.Rtcp;

namespace Sightline.WebRtc.Tests.Rtcp;

public class TransportFeedbackTests
{
    [Fact]
    public void RunLengthAndStatusVectorChunks_WithSmallAndLargeDeltas()
    {
        // base 100, 4 packets, reference time 1 (×64 ms), fb count 0;
        // chunk 1: status vector, two-bit symbols: small, not received, large, small (S=1: 11 01 00 10 01 00 00 00).
        // deltas: small 4 (1 ms), large -8 (signed 16-bit, -2 ms), small 8 (2 ms).
        byte[] fci = [0, 100, 0, 4, 0, 0, 1, 0, 0b1101_0010, 0b0100_0000, 4, 0xff, 0xf8, 8, 0, 0];
        var statuses = new List<TransportFeedback.PacketStatus>();
        Assert.True(TransportFeedback.TryParse(fci, statuses));
        Assert.Equal(new TransportFeedback.PacketStatus[]
        {
            new(100, 64_000 + 1_000),
            new(101, null),
            new(102, 64_000 + 1_000 - 2_000),
            new(103, 64_000 + 1_000 - 2_000 + 2_000),
        }, statuses);
    }

    [Fact]
    public void RunLengthChunk_AllReceivedSmall()
    {
        // 3 packets, run-length chunk: T=0, symbol 1, run 3 → 0x2003; deltas 1,1,1.
        byte[] fci = [0xff, 0xfe, 0, 3, 0, 0, 0, 0, 0x20, 0x03, 1, 1, 1];
        var statuses = new List<TransportFeedback.PacketStatus>();
        Assert.True(TransportFeedback.TryParse(fci, statuses));
        Assert.Equal([(ushort)65534, (ushort)65535, (ushort)0], statuses.Select(s => s.Sequence));
        Assert.Equal([250L, 500L, 750L], statuses.Select(s => s.ArrivalMicroseconds!.Value));
    }

    [Fact]
    public void Truncated_IsRejected()
    {
        byte[] fci = [0, 100, 0, 4, 0, 0, 1, 0, 0b1101_0010];
        Assert.False(TransportFeedback.TryParse(fci, []));
    }
}
