using Sightline.Rtp.Codecs;
using Sightline.Rtp.Codecs.Aac;
using Sightline.Rtp.Rtp;
using Sightline.Rtp.Sdp;

namespace Sightline.Rtp.Packetization;

/// <summary>
/// AAC in LATM over RTP (<c>MP4A-LATM</c>, RFC 6416 §6) with the configuration out of band (<c>cpresent=0</c>, the form
/// cameras use): a LATM frame may span packets up to the marker; each subframe's PayloadLengthInfo gives one raw AAC frame.
/// </summary>
public sealed class LatmDepacketizer : Depacketizer
{
    private readonly int _subFrames;
    private readonly FrameBuilder _frame = new(256 * 1024);
    private uint _timestamp;
    private bool _started;

    private LatmDepacketizer(RtpMap map, int subFrames, AudioSpecificConfig? config) : base(map.ClockRate)
    {
        _subFrames = subFrames;
        Parameters = new CodecParameters
        {
            SampleRate = config?.SampleRate ?? map.ClockRate,
            Channels = config?.Channels ?? map.Channels,
            Profile = config is null ? null : $"AAC object type {config.ObjectType}",
            Config = config?.Raw,
        };
    }

    /// <summary>Null for the in-band configuration form (<c>cpresent=1</c>), which is not supported.</summary>
    public static LatmDepacketizer? Create(RtpMap map, IReadOnlyDictionary<string, string> fmtp)
    {
        if (fmtp.TryGetValue("cpresent", out var cp) && cp.Trim() == "1") return null;
        var subFrames = 1;
        AudioSpecificConfig? config = null;
        if (fmtp.TryGetValue("config", out var hex))
        {
            var raw = AudioSpecificConfig.FromHex(hex);
            if (TryReadStreamMuxConfig(raw, out subFrames, out config) && config is not null)
            {
                config = config with { Raw = ExtractAsc(raw) };
            }
        }
        return new LatmDepacketizer(map, subFrames, config);
    }

    public override MediaCodec Codec => MediaCodec.AAC;

    public override void Push(in RtpPacket packet, ReadOnlySpan<byte> payload)
    {
        if (!_started || packet.Timestamp != _timestamp)
        {
            if (_started) Drop(DropReason.IncompleteFrame);
            _frame.Reset();
            _started = true;
            _timestamp = packet.Timestamp;
        }
        if (!_frame.Append(payload))
        {
            Drop(DropReason.FrameTooLarge);
            Reset();
            return;
        }
        if (!packet.Marker) return;

        var rest = _frame.Span;
        for (var i = 0; i < _subFrames && rest.Length > 0; i++)
        {
            var length = 0;
            var k = 0;
            while (k < rest.Length)
            {
                var b = rest[k++];
                length += b;
                if (b != 255) break;
            }
            if (length == 0 || k + length > rest.Length)
            {
                Drop(DropReason.MalformedPayload);
                break;
            }
            Emit(rest.Slice(k, length).ToArray(), _timestamp + (uint)(i * 1024), true);
            rest = rest[(k + length)..];
        }
        Reset();
    }

    protected override void Reset()
    {
        _frame.Reset();
        _started = false;
    }

    // StreamMuxConfig (ISO 14496-3 §1.7.3), audioMuxVersion 0, one program and layer.
    private static bool TryReadStreamMuxConfig(byte[] raw, out int subFrames, out AudioSpecificConfig? config)
    {
        subFrames = 1;
        config = null;
        var r = new BitReader(raw);
        if (r.ReadBit() != 0) return false; // audioMuxVersion 1 is not used by cameras
        r.ReadBit(); // allStreamsSameTimeFraming
        subFrames = (int)r.ReadBits(6) + 1;
        r.ReadBits(4); // numProgram
        r.ReadBits(3); // numLayer
        config = AudioSpecificConfig.Read(ref r, out _);
        return !r.Overrun;
    }

    private static byte[] ExtractAsc(byte[] raw)
    {
        // The AudioSpecificConfig starts at bit 15 of the StreamMuxConfig; re-align it to bytes.
        var r = new BitReader(raw);
        r.Skip(15);
        var copy = new BitReader(raw);
        copy.Skip(15);
        AudioSpecificConfig.Read(ref copy, out var bits);
        var bytes = new byte[(bits + 7) / 8];
        for (var i = 0; i < bits; i++)
        {
            if (r.ReadBit() == 1) bytes[i / 8] |= (byte)(0x80 >> (i % 8));
        }
        return bytes;
    }
}
