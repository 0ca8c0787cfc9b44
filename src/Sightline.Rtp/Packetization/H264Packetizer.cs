using System.Buffers.Binary;
using Sightline.Rtp.Codecs;

namespace Sightline.Rtp.Packetization;

/// <summary>
/// H.264 into RTP payloads for packetization-mode 1 (RFC 6184): small NAL units that fit together go in one STAP-A
/// (§5.7.1) — SPS and PPS in front of an IDR this way — and NAL units over the budget are split into FU-A (§5.8).
/// </summary>
public static class H264Packetizer
{
    /// <summary>Largest RTP payload; leaves room for header, extensions and SRTP within a 1280-byte path MTU.</summary>
    public const int DefaultBudget = 1200;

    /// <param name="accessUnit">NAL units, each with a 4-byte big-endian length prefix.</param>
    public static PacketizedFrame Packetize(ReadOnlySpan<byte> accessUnit, uint rtpTimestamp, bool keyframe, int budget = DefaultBudget)
    {
        // Worst case size: every byte once, plus 2 bytes of FU header per fragment and a STAP-A header per NAL.
        var buffer = new byte[accessUnit.Length + accessUnit.Length / (budget - 2) * 2 + 64 + 3 * CountNals(accessUnit)];
        var payloads = new List<(int, int)>();
        var w = 0;
        var stapStart = -1; // offset of the STAP-A being filled
        var stapCount = 0;
        var stapFirstNalOffset = 0;

        var rest = accessUnit;
        while (NalUnits.TryNext(ref rest, out var nal))
        {
            if (nal.IsEmpty) continue;
            if (nal.Length + 2 <= budget - 1)
            {
                // Fits an aggregation: add it to the open STAP-A if room remains, else start one.
                var openLength = stapStart < 0 ? 0 : w - stapStart;
                if (stapStart >= 0 && openLength + 2 + nal.Length > budget)
                {
                    CloseStap(buffer, payloads, stapStart, stapCount, stapFirstNalOffset, ref w);
                    stapStart = -1;
                }
                if (stapStart < 0)
                {
                    stapStart = w;
                    buffer[w++] = 24; // STAP-A header; F and NRI are fixed when it closes
                    stapCount = 0;
                    stapFirstNalOffset = w;
                }
                BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(w), (ushort)nal.Length);
                w += 2;
                nal.CopyTo(buffer.AsSpan(w));
                w += nal.Length;
                stapCount++;
                continue;
            }
            if (stapStart >= 0)
            {
                CloseStap(buffer, payloads, stapStart, stapCount, stapFirstNalOffset, ref w);
                stapStart = -1;
            }
            // FU-A: indicator (F|NRI from the NAL, type 28), header (S|E|type), then a slice of the NAL body.
            var indicator = (byte)(nal[0] & 0xe0 | 28);
            var type = (byte)(nal[0] & 0x1f);
            var body = nal[1..];
            var chunk = budget - 2;
            var fragments = (body.Length + chunk - 1) / chunk;
            var per = (body.Length + fragments - 1) / fragments; // equal-sized fragments
            for (var offset = 0; offset < body.Length; offset += per)
            {
                var n = Math.Min(per, body.Length - offset);
                var start = w;
                buffer[w++] = indicator;
                buffer[w++] = (byte)((offset == 0 ? 0x80 : 0) | (offset + n == body.Length ? 0x40 : 0) | type);
                body.Slice(offset, n).CopyTo(buffer.AsSpan(w));
                w += n;
                payloads.Add((start, w - start));
            }
        }
        if (stapStart >= 0) CloseStap(buffer, payloads, stapStart, stapCount, stapFirstNalOffset, ref w);
        return new PacketizedFrame(buffer, [.. payloads], rtpTimestamp, keyframe);
    }

    private static void CloseStap(byte[] buffer, List<(int, int)> payloads, int start, int count, int firstNal, ref int w)
    {
        if (count == 1)
        {
            // A lone NAL goes as a single NAL unit packet: drop the STAP-A header and the size field.
            var length = w - firstNal - 2;
            Buffer.BlockCopy(buffer, firstNal + 2, buffer, start, length);
            w = start + length;
            payloads.Add((start, length));
            return;
        }
        // STAP-A NRI = the highest NRI of its NAL units (RFC 6184 §5.7.1).
        var nri = 0;
        for (var p = firstNal; p < w;)
        {
            var size = buffer[p] << 8 | buffer[p + 1];
            nri = Math.Max(nri, buffer[p + 2] & 0x60);
            p += 2 + size;
        }
        buffer[start] = (byte)(nri | 24);
        payloads.Add((start, w - start));
    }

    private static int CountNals(ReadOnlySpan<byte> accessUnit)
    {
        var n = 0;
        while (NalUnits.TryNext(ref accessUnit, out _)) n++;
        return n;
    }
}
