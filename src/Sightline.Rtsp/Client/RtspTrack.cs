using Sightline.Rtp.Packetization;
using Sightline.Rtp.Rtcp;
using Sightline.Rtp.Rtp;
using Sightline.Rtp.Sdp;
using Sightline.Rtp.Time;

namespace Sightline.Rtsp.Client;

/// <summary>
/// One media track of a camera session: packets in (any order) → reorder window → depacketizer → frames out, with the
/// receiver statistics an RTCP RR needs and the wall clock from the camera's sender reports. Driven by one reading loop.
/// </summary>
public sealed class RtspTrack : ICameraTrack
{
    private readonly ReorderWindow _window;
    private readonly TimeProvider _time;
    private volatile SenderClock? _senderClock;
    private SequenceUnwrapper _sequences;
    private long _firstExtended = -1, _highestExtended;
    private long _received, _bytes, _malformed;
    private double _jitter;
    private long _lastTransit = long.MinValue;
    private long _expectedPrior, _receivedPrior;
    private long _lastPacketMs = -1;

    /// <summary>Where <see cref="SequenceUnwrapper"/> puts the first packet's cycle.</summary>
    private const long SequenceBase = 65536;

    private sealed record SenderClock(ulong Ntp, uint RtpTimestamp, long ArrivalMs);

    internal RtspTrack(int index, MediaDescription media, int payloadType, RtpMap map, Depacketizer depacketizer, string controlUrl, int networkCacheMs, TimeProvider time)
    {
        Index = index;
        Media = media;
        PayloadType = payloadType;
        RtpMap = map;
        Depacketizer = depacketizer;
        ControlUrl = controlUrl;
        _time = time;
        _window = new ReorderWindow(networkCacheMs, OnOrdered);
        depacketizer.FrameReady += OnFrame;
    }

    public int Index { get; }
    public MediaDescription Media { get; }
    public int PayloadType { get; }
    public RtpMap RtpMap { get; }
    public Depacketizer Depacketizer { get; }
    public string ControlUrl { get; }
    public MediaCodec Codec => Depacketizer.Codec;
    public int ClockRate => Depacketizer.ClockRate;
    public bool IsVideo => Codec is MediaCodec.H264 or MediaCodec.H265 or MediaCodec.VP8 or MediaCodec.MJPEG;
    public CodecParameters Parameters => Depacketizer.Parameters;

    /// <summary>Interleaved channels (TCP) or local ports (UDP) once set up.</summary>
    public int RtpChannel { get; internal set; } = -1;
    public uint? RemoteSsrc { get; private set; }

    public long PacketsReceived => Interlocked.Read(ref _received);
    public long BytesReceived => Interlocked.Read(ref _bytes);
    public long PacketsMalformed => Interlocked.Read(ref _malformed);
    public long PacketsLost => _window.Lost;
    public long PacketsLate => _window.Late;
    public long FramesReceived => Depacketizer.FramesEmitted;
    public long KeyframesReceived { get; private set; }
    /// <summary>Set when loss broke a frame: the stream needs a keyframe to be whole again; cleared by the next keyframe.</summary>
    public bool KeyframeNeeded { get; private set; }
    public long LastPacketMs => Interlocked.Read(ref _lastPacketMs);

    /// <summary>Complete frames, with the camera's wall-clock time (sender-report mapped, else arrival time).</summary>
    public event Action<RtspTrack, EncodedFrame, DateTimeOffset>? FrameReceived;

    /// <summary>Raised when loss broke a frame and a keyframe is needed.</summary>
    public event Action<RtspTrack>? KeyframeRequired;

    /// <summary>One RTP packet from the network; malformed ones are counted and dropped.</summary>
    public void OnRtpPacket(ReadOnlySpan<byte> packet)
    {
        var now = _time.GetTimestamp() * 1000 / _time.TimestampFrequency;
        if (!RtpPacket.TryParse(packet, out var rtp) || rtp.PayloadType != PayloadType)
        {
            Interlocked.Increment(ref _malformed);
            return;
        }
        Interlocked.Increment(ref _received);
        Interlocked.Add(ref _bytes, packet.Length);
        Interlocked.Exchange(ref _lastPacketMs, now);
        RemoteSsrc = rtp.Ssrc;
        UpdateStatistics(rtp, now);
        _window.Push(packet, rtp.SequenceNumber, now);
    }

    /// <summary>One RTCP compound packet: sender reports set the wall clock.</summary>
    public void OnRtcpPacket(ReadOnlySpan<byte> packet)
    {
        var reader = new RtcpCompoundReader(packet);
        while (reader.TryNext(out var type, out _, out var p))
        {
            if (type == RtcpPacketType.SenderReport && SenderReport.TryParse(p, out var sr))
            {
                _senderClock = new SenderClock(sr.NtpTimestamp, sr.RtpTimestamp, _time.GetTimestamp() * 1000 / _time.TimestampFrequency);
            }
        }
    }

    /// <summary>Gives up on gaps that waited long enough (call it when no packet arrives for a while).</summary>
    public void Poll() => _window.Poll(_time.GetTimestamp() * 1000 / _time.TimestampFrequency);

    /// <summary>The report block of an RTCP RR about this track (RFC 3550 §6.4.1, A.3).</summary>
    public ReceptionReport? BuildReport()
    {
        if (_firstExtended < 0 || RemoteSsrc is not { } ssrc) return null;
        var expected = _highestExtended - _firstExtended + 1;
        var received = PacketsReceived;
        var expectedInterval = expected - _expectedPrior;
        var receivedInterval = received - _receivedPrior;
        _expectedPrior = expected;
        _receivedPrior = received;
        var lostInterval = expectedInterval - receivedInterval;
        var fraction = expectedInterval <= 0 || lostInterval <= 0 ? (byte)0 : (byte)Math.Min(255, (lostInterval << 8) / expectedInterval);
        uint lsr = 0, dlsr = 0;
        if (_senderClock is { } clock)
        {
            lsr = (uint)(clock.Ntp >> 16);
            var nowMs = _time.GetTimestamp() * 1000 / _time.TimestampFrequency;
            dlsr = (uint)((nowMs - clock.ArrivalMs) * 65536 / 1000);
        }
        // Some cameras start near 65535 and wrap at once: the cycle count starts at 0 (RFC 3550 §6.4.1, A.1), and the
        // unwrapper's numbers start one cycle up (room below for packets older than the first), so that cycle is taken off.
        return new ReceptionReport(ssrc, fraction, (int)Math.Clamp(expected - received, -0x800000, 0x7fffff),
            (uint)((_highestExtended - SequenceBase) & 0xffffffff), (uint)_jitter, lsr, dlsr);
    }

    private void UpdateStatistics(in RtpPacket rtp, long nowMs)
    {
        var ext = _sequences.Unwrap(rtp.SequenceNumber);
        if (_firstExtended < 0)
        {
            _firstExtended = ext;
            _highestExtended = ext;
        }
        else if (ext > _highestExtended)
        {
            _highestExtended = ext;
        }
        // Interarrival jitter, RFC 3550 §6.4.1 / A.8, in timestamp units.
        var arrival = nowMs * ClockRate / 1000;
        var transit = arrival - rtp.Timestamp;
        if (_lastTransit != long.MinValue)
        {
            var d = Math.Abs((int)(transit - _lastTransit));
            _jitter += (d - _jitter) / 16;
        }
        _lastTransit = transit;
    }

    private void OnOrdered(ReadOnlySpan<byte> packet, bool afterLoss)
    {
        RtpPacket.TryParse(packet, out var rtp);
        if (afterLoss)
        {
            Depacketizer.Discontinuity();
            if (IsVideo && !KeyframeNeeded)
            {
                KeyframeNeeded = true;
                KeyframeRequired?.Invoke(this);
            }
        }
        Depacketizer.Push(rtp, packet.Slice(rtp.PayloadOffset, rtp.PayloadLength));
    }

    private void OnFrame(EncodedFrame frame)
    {
        if (frame.IsKeyframe && IsVideo)
        {
            KeyframesReceived++;
            KeyframeNeeded = false;
        }
        FrameReceived?.Invoke(this, frame, WallClockOf(frame.RtpTimestamp));
    }

    private DateTimeOffset WallClockOf(uint rtpTimestamp)
    {
        if (_senderClock is not { } clock) return _time.GetUtcNow();
        var delta = (int)(rtpTimestamp - clock.RtpTimestamp);
        return NtpTimestamp.ToDateTime(clock.Ntp).AddTicks(delta * TimeSpan.TicksPerSecond / ClockRate);
    }
}
