namespace Sightline.Rtp.Packetization;

/// <summary>
/// A frame cut into RTP payloads once per track, shared by every viewer: one buffer, and where each payload is.
/// Viewers add their own header (SSRC, sequence number, timestamp) and protect it; the payload bytes are never copied
/// per viewer more than once (into the viewer's send buffer).
/// </summary>
public sealed class PacketizedFrame
{
    public PacketizedFrame(byte[] buffer, (int Offset, int Length)[] payloads, uint rtpTimestamp, bool keyframe)
    {
        Buffer = buffer;
        Payloads = payloads;
        RtpTimestamp = rtpTimestamp;
        IsKeyframe = keyframe;
    }

    public byte[] Buffer { get; }
    public (int Offset, int Length)[] Payloads { get; }
    public uint RtpTimestamp { get; }
    public bool IsKeyframe { get; }

    public ReadOnlySpan<byte> Payload(int i) => Buffer.AsSpan(Payloads[i].Offset, Payloads[i].Length);
}
