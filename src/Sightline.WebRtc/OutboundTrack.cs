using Sightline.Rtp.Packetization;

namespace Sightline.WebRtc;

/// <summary>What a peer sends on one m-line: codec, payload type, SSRC, and the sequence/timestamp state of this viewer.</summary>
public sealed class OutboundTrack
{
    /// <summary>Packets kept for NACK answers: references into shared frames, no copy (RFC 4585 §6.2.1).</summary>
    public const int HistorySize = 512;

    private readonly HistoryEntry[] _history = new HistoryEntry[HistorySize];

    internal struct HistoryEntry
    {
        public PacketizedFrame? Frame;
        public int Index;
        public ushort Sequence;
        public uint Timestamp;
    }

    internal OutboundTrack(string kind, string mid, string codec, int payloadType, int clockRate, uint ssrc)
    {
        Kind = kind;
        Mid = mid;
        Codec = codec;
        PayloadType = payloadType;
        ClockRate = clockRate;
        Ssrc = ssrc;
        NextSequence = (ushort)Random.Shared.Next(0, 65536);
        TimestampOffset = (uint)Random.Shared.Next();
    }

    public string Kind { get; }
    public string Mid { get; }
    /// <summary>Codec name as negotiated (<c>H264</c>, <c>VP8</c>, <c>opus</c>, <c>PCMU</c>…).</summary>
    public string Codec { get; }
    public int PayloadType { get; }
    public int ClockRate { get; }
    public uint Ssrc { get; }
    public long PacketsSent { get; internal set; }
    public long BytesSent { get; internal set; }
    public long FramesSent { get; internal set; }
    public long Retransmissions { get; internal set; }
    public long NacksReceived { get; internal set; }
    public long KeyframeRequests { get; internal set; }
    /// <summary>True until the first keyframe went out: inter frames before it are useless to a decoder.</summary>
    public bool WaitingForKeyframe { get; internal set; } = true;

    internal ushort NextSequence;
    internal uint TimestampOffset;

    internal void Remember(ushort sequence, PacketizedFrame frame, int index, uint timestamp) =>
        _history[sequence % HistorySize] = new HistoryEntry { Frame = frame, Index = index, Sequence = sequence, Timestamp = timestamp };

    internal bool TryRecall(ushort sequence, out HistoryEntry entry)
    {
        entry = _history[sequence % HistorySize];
        return entry.Frame is not null && entry.Sequence == sequence;
    }
}
