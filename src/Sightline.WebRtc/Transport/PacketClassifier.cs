namespace Sightline.WebRtc.Transport;

/// <summary>What arrived on the shared port, by its first byte (RFC 7983 §7).</summary>
public enum PacketKind { Unknown, Stun, Dtls, Rtp, Rtcp }

public static class PacketClassifier
{
    public static PacketKind Classify(ReadOnlySpan<byte> packet)
    {
        if (packet.IsEmpty) return PacketKind.Unknown;
        var b = packet[0];
        if (b <= 3) return PacketKind.Stun;
        if (b is >= 20 and <= 63) return PacketKind.Dtls;
        if (b is >= 128 and <= 191)
        {
            // RTCP payload types 192–223 sit in the second byte (RFC 5761 §4).
            return packet.Length >= 2 && packet[1] is >= 192 and <= 223 ? PacketKind.Rtcp : PacketKind.Rtp;
        }
        return PacketKind.Unknown;
    }
}
