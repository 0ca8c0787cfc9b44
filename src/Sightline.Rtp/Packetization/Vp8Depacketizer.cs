using Sightline.Rtp.Rtp;

namespace Sightline.Rtp.Packetization;

/// <summary>
/// VP8 over RTP (RFC 7741): strips the payload descriptor (§4.2) and joins the partitions of a frame. A frame starts at
/// S=1, PID=0 and ends at the marker bit; a key frame has the P bit of the VP8 frame tag clear (RFC 6386 §9.1).
/// </summary>
public sealed class Vp8Depacketizer : Depacketizer
{
    private readonly FrameBuilder _frame = new(MaxFrameSize);
    private bool _started;
    private uint _timestamp;

    public Vp8Depacketizer() : base(90000)
    {
    }

    public override MediaCodec Codec => MediaCodec.VP8;

    public override void Push(in RtpPacket packet, ReadOnlySpan<byte> payload)
    {
        if (!TrySkipDescriptor(payload, out var start, out var data))
        {
            Drop(DropReason.MalformedPayload);
            return;
        }
        if (start)
        {
            if (_started) Drop(DropReason.IncompleteFrame);
            _frame.Reset();
            _started = true;
            _timestamp = packet.Timestamp;
        }
        else if (!_started || packet.Timestamp != _timestamp)
        {
            Drop(DropReason.FragmentWithoutStart);
            _started = false;
            return;
        }
        if (!_frame.Append(data))
        {
            Drop(DropReason.FrameTooLarge);
            Reset();
            return;
        }
        if (packet.Marker)
        {
            var frame = _frame.Span;
            var keyframe = frame.Length >= 3 && (frame[0] & 0x01) == 0;
            if (keyframe && frame.Length >= 10 && frame[3] == 0x9d && frame[4] == 0x01 && frame[5] == 0x2a)
            {
                Parameters = Parameters with { Width = (frame[6] | frame[7] << 8) & 0x3fff, Height = (frame[8] | frame[9] << 8) & 0x3fff };
            }
            var bytes = _frame.ToArray();
            Reset();
            Emit(bytes, packet.Timestamp, keyframe);
        }
    }

    protected override void Reset()
    {
        _frame.Reset();
        _started = false;
    }

    /// <summary>Reads the payload descriptor: whether this packet starts a frame, and the VP8 bytes after it.</summary>
    public static bool TrySkipDescriptor(ReadOnlySpan<byte> payload, out bool frameStart, out ReadOnlySpan<byte> data)
    {
        frameStart = false;
        data = default;
        if (payload.Length < 1) return false;
        var offset = 1;
        var x = (payload[0] & 0x80) != 0;
        var s = (payload[0] & 0x10) != 0;
        var pid = payload[0] & 0x07;
        if (x)
        {
            if (payload.Length < 2) return false;
            var ext = payload[1];
            offset = 2;
            if ((ext & 0x80) != 0) // I: picture id, 7 or 15 bits
            {
                if (payload.Length < offset + 1) return false;
                offset += (payload[offset] & 0x80) != 0 ? 2 : 1;
            }
            if ((ext & 0x40) != 0) offset++; // L: TL0PICIDX
            if ((ext & 0x30) != 0) offset++; // T or K: TID/Y/KEYIDX
        }
        if (offset >= payload.Length) return false;
        frameStart = s && pid == 0;
        data = payload[offset..];
        return true;
    }
}
