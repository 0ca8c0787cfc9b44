using System.Buffers.Binary;
using Sightline.Rtp.Codecs;
using Sightline.Rtp.Codecs.H264;
using Sightline.Rtp.Rtp;

namespace Sightline.Rtp.Packetization;

/// <summary>
/// H.264 over RTP (RFC 6184): single NAL units, STAP-A (§5.7.1) and FU-A (§5.8) into access units. The frame ends at the
/// marker bit or when the timestamp changes (some cameras never set the marker). SPS/PPS from <c>sprop-parameter-sets</c>
/// or seen in-band are put in front of every IDR that lacks them, so any viewer can start at any keyframe.
/// </summary>
public sealed class H264Depacketizer : Depacketizer
{
    private const int NalIdr = 5, NalSei = 6, NalSps = 7, NalPps = 8, NalAud = 9, NalFiller = 12;
    private const int StapA = 24, StapB = 25, Mtap16 = 26, Mtap24 = 27, FuA = 28, FuB = 29;

    private readonly FrameBuilder _frame = new(MaxFrameSize);
    private readonly ReorderDetector _reordering = ReorderDetector.ForH264();
    private byte[]? _sps;
    private byte[]? _pps;
    private bool _hasIdr, _hasSps, _hasPps, _hasNal;
    private uint _timestamp;
    private int _fuOffset = -1; // where the FU-A NAL being assembled starts (its length prefix), -1 when none

    public H264Depacketizer(IReadOnlyDictionary<string, string> fmtp) : base(90000)
    {
        if (fmtp.TryGetValue("sprop-parameter-sets", out var sets))
        {
            foreach (var part in sets.Split(','))
            {
                try
                {
                    var nal = Convert.FromBase64String(part.Trim());
                    if (nal.Length > 0) Remember(nal);
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
        if (_sps is null && fmtp.TryGetValue("profile-level-id", out var pli) && pli.Length == 6)
        {
            Parameters = Parameters with { ProfileLevelId = pli.ToLowerInvariant() };
        }
    }

    public override MediaCodec Codec => MediaCodec.H264;

    public override void Push(in RtpPacket packet, ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 1 || (payload[0] & 0x80) != 0)
        {
            Drop(DropReason.MalformedPayload);
            return;
        }
        if (_hasNal && packet.Timestamp != _timestamp)
        {
            // A new timestamp without a marker on the last packet: the previous access unit is complete.
            Flush();
        }
        _timestamp = packet.Timestamp;

        var type = payload[0] & 0x1f;
        switch (type)
        {
            case >= 1 and <= 23:
                AbandonFragment();
                AddNal(payload);
                break;
            case StapA:
                AbandonFragment();
                var rest = payload[1..];
                while (rest.Length > 0)
                {
                    if (rest.Length < 2)
                    {
                        Drop(DropReason.MalformedPayload);
                        break;
                    }
                    var size = BinaryPrimitives.ReadUInt16BigEndian(rest);
                    if (size == 0 || size > rest.Length - 2)
                    {
                        Drop(DropReason.MalformedPayload);
                        break;
                    }
                    AddNal(rest.Slice(2, size));
                    rest = rest[(2 + size)..];
                }
                break;
            case FuA:
                PushFragment(payload);
                break;
            case StapB or Mtap16 or Mtap24 or FuB:
                // Interleaved mode (packetization-mode=2) only: no camera we know sends it.
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
        _hasIdr = _hasSps = _hasPps = _hasNal = false;
        _fuOffset = -1;
    }

    private void PushFragment(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 3)
        {
            Drop(DropReason.MalformedPayload);
            return;
        }
        var start = (payload[1] & 0x80) != 0;
        var end = (payload[1] & 0x40) != 0;
        var data = payload[2..];
        if (start)
        {
            AbandonFragment();
            _fuOffset = _frame.Length;
            var header = (byte)((payload[0] & 0xe0) | (payload[1] & 0x1f));
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
            var nalLength = _frame.Length - _fuOffset - 4;
            _frame.PatchLength(_fuOffset, nalLength);
            var nalType = _frame.Span[_fuOffset + 4] & 0x1f;
            _fuOffset = -1;
            Note(nalType, _frame.Span.Slice(_frame.Length - nalLength, nalLength));
        }
    }

    private void AbandonFragment()
    {
        if (_fuOffset < 0) return;
        // The fragmented NAL never ended: cut it off and keep the rest of the access unit.
        var kept = _frame.Span[.._fuOffset].ToArray();
        _frame.Reset();
        _frame.Append(kept);
        _fuOffset = -1;
        Drop(DropReason.IncompleteFrame);
    }

    private void AddNal(ReadOnlySpan<byte> nal)
    {
        var type = nal[0] & 0x1f;
        if (type is NalFiller or NalAud) return; // carry nothing a decoder needs; AUD is rebuilt by muxers that want it
        if (!_frame.AppendLengthPrefixed(nal))
        {
            TooLarge();
            return;
        }
        Note(type, nal);
    }

    private void Note(int type, ReadOnlySpan<byte> nal)
    {
        _hasNal = true;
        switch (type)
        {
            case NalIdr: _hasIdr = true; break;
            case NalSps: _hasSps = true; Remember(nal); break;
            case NalPps: _hasPps = true; Remember(nal); break;
        }
    }

    private void Remember(ReadOnlySpan<byte> nal)
    {
        var type = nal[0] & 0x1f;
        if (type == NalSps)
        {
            if (_sps is not null && nal.SequenceEqual(_sps)) return;
            _sps = nal.ToArray();
            if (H264Sps.Parse(nal) is { } sps)
            {
                Parameters = Parameters with
                {
                    Width = sps.Width,
                    Height = sps.Height,
                    Profile = sps.ProfileName,
                    ProfileLevelId = sps.ProfileLevelId,
                    FrameRate = sps.FrameRate,
                };
            }
        }
        else if (type == NalPps)
        {
            _pps = nal.ToArray();
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
        if (_hasIdr && (!_hasSps || !_hasPps) && _sps is not null && _pps is not null)
        {
            var extra = (_hasSps ? 0 : 4 + _sps.Length) + (_hasPps ? 0 : 4 + _pps.Length);
            data = new byte[extra + _frame.Length];
            var offset = 0;
            if (!_hasSps) offset += WritePrefixed(data.AsSpan(offset), _sps);
            if (!_hasPps) offset += WritePrefixed(data.AsSpan(offset), _pps);
            _frame.Span.CopyTo(data.AsSpan(offset));
        }
        else
        {
            data = _frame.ToArray();
        }
        var keyframe = _hasIdr;
        var timestamp = _timestamp;
        Reset();
        if (_reordering.Feed(data)) Parameters = Parameters with { Reordering = _reordering.Known };
        Emit(data, timestamp, keyframe);
    }

    private static int WritePrefixed(Span<byte> destination, byte[] nal)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)nal.Length);
        nal.CopyTo(destination[4..]);
        return 4 + nal.Length;
    }

    private void TooLarge()
    {
        Drop(DropReason.FrameTooLarge);
        Reset();
    }

    /// <summary>The last SPS and PPS seen (or given in SDP), for packetizers and muxers.</summary>
    public (byte[]? Sps, byte[]? Pps) ParameterSets => (_sps, _pps);
}
