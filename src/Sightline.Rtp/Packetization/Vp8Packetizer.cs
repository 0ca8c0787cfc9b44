namespace Sightline.Rtp.Packetization;

/// <summary>VP8 into RTP payloads (RFC 7741 §4): a one-byte descriptor (S on the first packet, PID 0) and equal slices.</summary>
public static class Vp8Packetizer
{
    public static PacketizedFrame Packetize(ReadOnlySpan<byte> frame, uint rtpTimestamp, bool keyframe, int budget = H264Packetizer.DefaultBudget)
    {
        var chunk = budget - 1;
        var count = Math.Max(1, (frame.Length + chunk - 1) / chunk);
        var per = (frame.Length + count - 1) / count;
        var buffer = new byte[frame.Length + count];
        var payloads = new (int, int)[count];
        var w = 0;
        for (var i = 0; i < count; i++)
        {
            var offset = i * per;
            var n = Math.Max(0, Math.Min(per, frame.Length - offset));
            payloads[i] = (w, n + 1);
            buffer[w++] = (byte)(i == 0 ? 0x10 : 0x00);
            frame.Slice(offset, n).CopyTo(buffer.AsSpan(w));
            w += n;
        }
        return new PacketizedFrame(buffer, payloads, rtpTimestamp, keyframe);
    }
}
