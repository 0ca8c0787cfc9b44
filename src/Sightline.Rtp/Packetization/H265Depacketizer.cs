using System.Buffers.Binary;
using Sightline.Rtp.Codecs;
using Sightline.Rtp.Codecs.H265;
using Sightline.Rtp.Rtp;

namespace Sightline.Rtp.Packetization;

/// <summary>
/// H.265 over RTP (RFC 7798): single NAL units, aggregation packets (§4.4.2) and fragmentation units (§4.4.3) into access
/// units; VPS/SPS/PPS (from <c>sprop-vps/sps/pps</c> or in-band) put in front of every IRAP picture that lacks them.
/// DONL/DOND fields are skipped when <c>sprop-max-don-diff</c> &gt; 0.
/// </summary>
public sealed class H265Depacketizer : Depacketizer
{
    private const int Vps = 32, Sps = 33, Pps = 34, Aud = 35, Fd = 38;
    private const int Ap = 48, Fu = 49, Paci = 50;

    private readonly FrameBuilder _frame = new(MaxFrameSize);
    private readonly ReorderDetector _reordering = ReorderDetector.ForH265();
    private readonly bool _donl;
    private byte[]? _vps, _sps, _pps;
    private bool _hasIrap, _hasVps, _hasSps, _hasPps, _hasNal;
    private uint _timestamp;
    private int _fuOffset = -1;

    public H265Depacketizer(IReadOnlyDictionary<string, string> fmtp) : base(90000)
    {
        _donl = fmtp.TryGetValue("sprop-max-don-diff", out var d) && int.TryParse(d, out var diff) && diff > 0;
        foreach (var key in new[] { "sprop-vps", "sprop-sps", "sprop-pps" })
        {
            if (!fmtp.TryGetValue(key, out var sets)) continue;
            foreach (var part in sets.Split(','))
            {
                try
                {
                    var nal = Convert.FromBase64String(part.Trim());
                    if (nal.Length >= 2) Remember(nal);
                }
                catch (FormatException)
                {
                    Drop(DropReason.MalformedPayload);
                }
            }
        }
        if (_sps is not null)
        {
            _reordering.FeedParameterSet(_sps);
            Parameters = Parameters with { Reordering = _reordering.Known };
        }
    }

    public override MediaCodec Codec => MediaCodec.H265;

    public override void Push(in RtpPacket packet, ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 3 || (payload[0] & 0x80) != 0)
        {
            Drop(DropReason.MalformedPayload);
            return;
        }
        if (_hasNal && packet.Timestamp != _timestamp) Flush();
        _timestamp = packet.Timestamp;

        var type = payload[0] >> 1 & 0x3f;
        switch (type)
        {
            case < Ap:
                AbandonFragment();
                if (_donl)
                {
                    // Single NAL unit packet with DONL: header, 2-byte DONL, then the rest of the NAL.
                    if (payload.Length < 5) { Drop(DropReason.MalformedPayload); break; }
                    Span<byte> nal = new byte[payload.Length - 2];
                    payload[..2].CopyTo(nal);
                    payload[4..].CopyTo(nal[2..]);
                    AddNal(nal);
                }
                else
                {
                    AddNal(payload);
                }
                break;
            case Ap:
                AbandonFragment();
                PushAggregation(payload[2..]);
                break;
            case Fu:
                PushFragment(payload);
                break;
            case Paci:
                Drop(DropReason.UnsupportedPacketization);
                break;
            default:
                Drop(DropReason.MalformedPayload);
                break;
        }
        if (packet.Marker) Flush();
    }

    protected override void Reset()
    {
        _frame.Reset();
        _hasIrap = _hasVps = _hasSps = _hasPps = _hasNal = false;
        _fuOffset = -1;
    }

    private void PushAggregation(ReadOnlySpan<byte> rest)
    {
        var first = true;
        while (rest.Length > 0)
        {
            var skip = _donl ? (first ? 2 : 1) : 0;
            if (rest.Length < skip + 2)
            {
                Drop(DropReason.MalformedPayload);
                return;
            }
            rest = rest[skip..];
            var size = BinaryPrimitives.ReadUInt16BigEndian(rest);
            if (size < 2 || size > rest.Length - 2)
            {
                Drop(DropReason.MalformedPayload);
                return;
            }
            AddNal(rest.Slice(2, size));
            rest = rest[(2 + size)..];
            first = false;
        }
    }

    private void PushFragment(ReadOnlySpan<byte> payload)
    {
        var start = (payload[2] & 0x80) != 0;
        var end = (payload[2] & 0x40) != 0;
        var fuType = payload[2] & 0x3f;
        var data = payload[3..];
        if (start && _donl)
        {
            if (data.Length < 2) { Drop(DropReason.MalformedPayload); return; }
            data = data[2..];
        }
        if (start)
        {
            AbandonFragment();
            _fuOffset = _frame.Length;
            Span<byte> header = [(byte)((payload[0] & 0x81) | fuType << 1), payload[1]];
            if (!_frame.Append(stackalloc byte[4]) || !_frame.Append(header) || !_frame.Append(data))
            {
                TooLarge();
                return;
            }
        }
        else
        {
            if (_fuOffset < 0)
            {
                Drop(DropReason.FragmentWithoutStart);
                return;
            }
            if (!_frame.Append(data))
            {
                TooLarge();
                return;
            }
        }
        if (end)
        {
            var length = _frame.Length - _fuOffset - 4;
            _frame.PatchLength(_fuOffset, length);
            var nal = _frame.Span.Slice(_fuOffset + 4, length);
            _fuOffset = -1;
            Note(nal);
        }
    }

    private void AbandonFragment()
    {
        if (_fuOffset < 0) return;
        var kept = _frame.Span[.._fuOffset].ToArray();
        _frame.Reset();
        _frame.Append(kept);
        _fuOffset = -1;
        Drop(DropReason.IncompleteFrame);
    }

    private void AddNal(ReadOnlySpan<byte> nal)
    {
        var type = nal[0] >> 1 & 0x3f;
        if (type is Aud or Fd) return;
        if (!_frame.AppendLengthPrefixed(nal))
        {
            TooLarge();
            return;
        }
        Note(nal);
    }

    private void Note(ReadOnlySpan<byte> nal)
    {
        _hasNal = true;
        var type = nal[0] >> 1 & 0x3f;
        switch (type)
        {
            case >= 16 and <= 21: _hasIrap = true; break;
            case Vps: _hasVps = true; Remember(nal); break;
            case Sps: _hasSps = true; Remember(nal); break;
            case Pps: _hasPps = true; Remember(nal); break;
        }
    }

    private void Remember(ReadOnlySpan<byte> nal)
    {
        switch (nal[0] >> 1 & 0x3f)
        {
            case Vps:
                _vps = nal.ToArray();
                break;
            case Sps:
                if (_sps is not null && nal.SequenceEqual(_sps)) return;
                _sps = nal.ToArray();
                if (H265Sps.Parse(nal) is { } sps)
                {
                    Parameters = Parameters with { Width = sps.Width, Height = sps.Height, Profile = sps.ProfileName };
                }
                break;
            case Pps:
                _pps = nal.ToArray();
                break;
        }
    }

    private void Flush()
    {
        if (_fuOffset >= 0) AbandonFragment();
        if (!_hasNal || _frame.Length == 0)
        {
            Reset();
            return;
        }
        byte[] data;
        if (_hasIrap && (!_hasVps || !_hasSps || !_hasPps) && _vps is not null && _sps is not null && _pps is not null)
        {
            using var ms = new MemoryStream(_frame.Length + 512);
            Span<byte> prefix = stackalloc byte[4];
            foreach (var (have, set) in new[] { (_hasVps, _vps), (_hasSps, _sps), (_hasPps, _pps) })
            {
                if (have) continue;
                BinaryPrimitives.WriteUInt32BigEndian(prefix, (uint)set.Length);
                ms.Write(prefix);
                ms.Write(set);
            }
            ms.Write(_frame.Span);
            data = ms.ToArray();
        }
        else
        {
            data = _frame.ToArray();
        }
        var keyframe = _hasIrap;
        var timestamp = _timestamp;
        Reset();
        if (_reordering.Feed(data)) Parameters = Parameters with { Reordering = _reordering.Known };
        Emit(data, timestamp, keyframe);
    }

    private void TooLarge()
    {
        Drop(DropReason.FrameTooLarge);
        Reset();
    }

    /// <summary>The last VPS, SPS and PPS seen (or given in SDP).</summary>
    public (byte[]? Vps, byte[]? Sps, byte[]? Pps) ParameterSets => (_vps, _sps, _pps);
}
