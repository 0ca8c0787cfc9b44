using Sightline.Rtp.Codecs;
using Sightline.Rtp.Codecs.Aac;
using Sightline.Rtp.Rtp;
using Sightline.Rtp.Sdp;

namespace Sightline.Rtp.Packetization;

/// <summary>
/// AAC over RTP in <c>mpeg4-generic</c> AAC-hbr/AAC-lbr mode (RFC 3640 §3.2–3.3): reads the AU headers and emits each
/// access unit as a raw AAC frame; an AU fragmented over several packets is joined until the marker bit.
/// </summary>
public sealed class AacDepacketizer : Depacketizer
{
    private readonly int _sizeLength, _indexLength, _indexDeltaLength;
    private readonly int _frameDuration;
    private readonly FrameBuilder _fragment = new(64 * 1024);
    private int _fragmentExpected = -1;
    private uint _fragmentTimestamp;

    public AacDepacketizer(RtpMap map, IReadOnlyDictionary<string, string> fmtp) : base(map.ClockRate)
    {
        _sizeLength = Int(fmtp, "sizelength", 13);
        _indexLength = Int(fmtp, "indexlength", 3);
        _indexDeltaLength = Int(fmtp, "indexdeltalength", 3);
        _frameDuration = Int(fmtp, "constantduration", 1024);
        var config = fmtp.TryGetValue("config", out var hex) ? AudioSpecificConfig.Parse(AudioSpecificConfig.FromHex(hex)) : null;
        Parameters = new CodecParameters
        {
            SampleRate = config?.SampleRate ?? map.ClockRate,
            Channels = config?.Channels ?? map.Channels,
            Profile = config is null ? null : $"AAC object type {config.ObjectType}",
            Config = config?.Raw,
        };
    }

    public override MediaCodec Codec => MediaCodec.AAC;

    public override void Push(in RtpPacket packet, ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 2 || _sizeLength == 0)
        {
            Drop(DropReason.MalformedPayload);
            return;
        }
        var headersBits = payload[0] << 8 | payload[1];
        var headersBytes = (headersBits + 7) / 8;
        if (2 + headersBytes > payload.Length)
        {
            Drop(DropReason.MalformedPayload);
            return;
        }
        var reader = new BitReader(payload.Slice(2, headersBytes));
        Span<int> sizes = stackalloc int[64];
        var count = 0;
        var consumed = 0;
        while (consumed + _sizeLength <= headersBits && count < sizes.Length)
        {
            sizes[count] = (int)reader.ReadBits(_sizeLength);
            var indexBits = count == 0 ? _indexLength : _indexDeltaLength;
            reader.Skip(indexBits);
            consumed += _sizeLength + indexBits;
            count++;
        }
        var data = payload[(2 + headersBytes)..];

        if (_fragmentExpected >= 0)
        {
            // Continuation of an AU split over packets (§3.2.3.2): one AU header with the full size, same timestamp.
            if (count != 1 || packet.Timestamp != _fragmentTimestamp || sizes[0] != _fragmentExpected)
            {
                Drop(DropReason.IncompleteFrame);
                Reset();
            }
            else
            {
                _fragment.Append(data);
                if (packet.Marker || _fragment.Length >= _fragmentExpected)
                {
                    if (_fragment.Length == _fragmentExpected) Emit(_fragment.ToArray(), _fragmentTimestamp, true);
                    else Drop(DropReason.IncompleteFrame);
                    Reset();
                }
                return;
            }
        }

        if (count == 0)
        {
            Drop(DropReason.MalformedPayload);
            return;
        }
        if (count == 1 && sizes[0] > data.Length)
        {
            _fragment.Reset();
            _fragment.Append(data);
            _fragmentExpected = sizes[0];
            _fragmentTimestamp = packet.Timestamp;
            return;
        }
        var offset = 0;
        for (var i = 0; i < count; i++)
        {
            if (sizes[i] == 0 || offset + sizes[i] > data.Length)
            {
                Drop(DropReason.MalformedPayload);
                return;
            }
            Emit(data.Slice(offset, sizes[i]).ToArray(), packet.Timestamp + (uint)(i * _frameDuration), true);
            offset += sizes[i];
        }
    }

    protected override void Reset()
    {
        _fragment.Reset();
        _fragmentExpected = -1;
    }

    private static int Int(IReadOnlyDictionary<string, string> fmtp, string key, int fallback) =>
        fmtp.TryGetValue(key, out var v) && int.TryParse(v, out var n) && n is >= 0 and <= 32 * 1024 ? n : fallback;
}
