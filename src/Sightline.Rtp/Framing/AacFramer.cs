using Sightline.Rtp.Codecs.Aac;
using Sightline.Rtp.Packetization;

namespace Sightline.Rtp.Framing;

/// <summary>
/// AAC: raw frames as MP4, MKV and FLV carry them (their AudioSpecificConfig in the extradata), or ADTS frames as MPEG-TS
/// carries them, whose headers are stripped (the config is built from the first header). Out: raw AAC frames, the
/// AudioSpecificConfig in <see cref="CodecParameters.Config"/>, as the RTP AAC depacketizers make them.
/// </summary>
public sealed class AacFramer : ContainerFramer
{
    private const int SamplesPerFrame = 1024;

    public AacFramer(ReadOnlySpan<byte> extradata, CodecParameters described)
    {
        ClockRate = described.SampleRate is > 0 and var rate ? rate : 48000;
        Parameters = described;
        if (!extradata.IsEmpty && AudioSpecificConfig.Parse(extradata) is { } config) Use(config);
    }

    public override MediaCodec Codec => MediaCodec.AAC;
    public override int ClockRate { get; }

    public override bool TryFrame(ReadOnlySpan<byte> packet, List<FramedUnit> output)
    {
        if (packet.IsEmpty) return Drop(DropReason.MalformedPayload);
        if (!AdtsHeader.StartsWithSync(packet))
        {
            if (Parameters.Config is null) return Drop(DropReason.MalformedPayload); // raw frames cannot be decoded without a config
            output.Add(new FramedUnit(packet.ToArray(), true, 0));
            return true;
        }
        // A PES packet may hold several ADTS frames: each is its own frame, 1024 samples after the one before.
        var any = false;
        var index = 0;
        while (!packet.IsEmpty)
        {
            if (!AdtsHeader.TryParse(packet, out var header))
            {
                Drop(DropReason.MalformedPayload); // the rest of the packet is lost; the frames before it are kept
                return any;
            }
            if (header.RawBlocks > 1)
            {
                Drop(DropReason.UnsupportedPacketization); // several raw blocks in one ADTS frame: no encoder we know writes it
            }
            else if (header.FrameLength > header.HeaderLength)
            {
                if (Parameters.Config is null && AudioSpecificConfig.Parse(header.ToAudioSpecificConfig()) is { } config) Use(config);
                var offset = (int)((long)index * SamplesPerFrame * ClockRate / header.SampleRate);
                output.Add(new FramedUnit(packet[header.HeaderLength..header.FrameLength].ToArray(), true, offset));
                any = true;
            }
            index++;
            packet = packet[header.FrameLength..];
        }
        return any;
    }

    public override int Samples(ReadOnlySpan<byte> frame) => SamplesPerFrame;

    private void Use(AudioSpecificConfig config) => Parameters = Parameters with
    {
        SampleRate = config.SampleRate,
        Channels = config.Channels,
        Profile = $"AAC object type {config.ObjectType}",
        Config = config.Raw,
    };
}
