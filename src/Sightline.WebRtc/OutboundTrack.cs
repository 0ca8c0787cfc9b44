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
        /// <summary>When it was last retransmitted (timestamp ticks) and how often: a packet is resent a few times at most.</summary>
        public long LastResend;
        public byte Resends;
    }

    internal OutboundTrack(string kind, string mid, string codec, int payloadType, int clockRate, uint ssrc, int? rtxPayloadType, uint? rtxSsrc, IReadOnlyDictionary<string, int> extensions)
    {
        RtxPayloadType = rtxPayloadType;
        RtxSsrc = rtxSsrc;
        NextRtxSequence = (ushort)Random.Shared.Next(0, 65536);
        foreach (var (uri, id) in extensions)
        {
            if (uri.EndsWith("sdes:mid", StringComparison.Ordinal)) MidExtension = id;
            else if (uri.EndsWith("abs-send-time", StringComparison.Ordinal)) AbsSendTimeExtension = id;
            else if (uri.Contains("transport-wide-cc", StringComparison.Ordinal)) TransportCcExtension = id;
        }
        MidBytes = System.Text.Encoding.ASCII.GetBytes(mid);
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
    /// <summary>RTX (RFC 4588) payload type and SSRC when the browser offered it: retransmissions go there.</summary>
    public int? RtxPayloadType { get; }
    public uint? RtxSsrc { get; }
    /// <summary>One-byte header extension ids negotiated (RFC 8285), 0 when not offered.</summary>
    public int MidExtension { get; }
    public int AbsSendTimeExtension { get; }
    public int TransportCcExtension { get; }
    internal byte[] MidBytes { get; }
    internal ushort NextRtxSequence;
    /// <summary>The last RTP timestamp sent, for sender reports.</summary>
    internal uint LastTimestamp;
    internal long LastSendTicks;
    /// <summary>From the browser's receiver reports (RFC 3550 §6.4.1).</summary>
    public double? RoundTripMs { get; internal set; }
    public double LossFraction { get; internal set; }
    public uint Jitter { get; internal set; }
    public int CumulativeLost { get; internal set; }
    public long PacketsSent { get; internal set; }
    public long BytesSent { get; internal set; }
    public long FramesSent { get; internal set; }
    public long Retransmissions { get; internal set; }
    /// <summary>NACKed packets not resent because the retransmission budget was spent.</summary>
    public long RetransmissionsDropped { get; internal set; }
    /// <summary>Bytes sent as probe padding (<see cref="PeerConnection.SendPadding"/>).</summary>
    public long PaddingBytes { get; internal set; }
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

    /// <summary>The history slot of <paramref name="sequence"/> (check <see cref="HistoryEntry.Sequence"/> and its frame).</summary>
    internal ref HistoryEntry Slot(ushort sequence) => ref _history[sequence % HistorySize];
}
