using System.Buffers.Binary;
using Sightline.Rtp.Codecs;

namespace Sightline.TestKit;

/// <summary>An H.264 access unit read from an ffmpeg-made file: NAL units as they were, without start codes.</summary>
public sealed record H264Unit(IReadOnlyList<byte[]> Nals)
{
    public bool IsKeyframe => Nals.Any(n => (n[0] & 0x1f) == 5);

    /// <summary>The unit as 4-byte length-prefixed NAL units (what our depacketizer emits and packetizer takes).</summary>
    public byte[] LengthPrefixed()
    {
        var result = new byte[Nals.Sum(n => 4 + n.Length)];
        var o = 0;
        foreach (var nal in Nals)
        {
            BinaryPrimitives.WriteUInt32BigEndian(result.AsSpan(o), (uint)nal.Length);
            nal.CopyTo(result, o + 4);
            o += 4 + nal.Length;
        }
        return result;
    }
}

/// <summary>Media for the fake camera (<see cref="FakeRtspCamera"/>), made by Debian's ffmpeg at test time.</summary>
public static class CameraMedia
{
    /// <summary>
    /// H.264 (libx264, no B-frames, a keyframe every <paramref name="fps"/> frames, SPS/PPS in front of every IDR) split
    /// into access units at the access-unit delimiters x264 writes (<c>aud=1</c>); the delimiters are kept in the units.
    /// </summary>
    /// <param name="x264Params">More <c>-x264-params</c>, e.g. <c>slices=4</c> or <c>nal-hrd=vbr</c> (SEI in every unit).</param>
    public static async Task<List<H264Unit>> H264Async(string directory, int width, int height, int fps, double seconds, string x264Params = "")
    {
        var name = $"quirk-{width}x{height}-{fps}-{seconds}-{x264Params.Replace(':', '_').Replace('=', '-')}.h264";
        var path = Path.Combine(directory, name);
        var parameters = "aud=1" + (x264Params.Length > 0 ? ":" + x264Params : "");
        await MediaFiles.RunFfmpegAsync($"-f lavfi -i testsrc=size={width}x{height}:rate={fps} -t {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} " +
            $"-c:v libx264 -preset veryfast -profile:v main -pix_fmt yuv420p -g {fps} -bf 0 -b:v 1000k -maxrate 1000k -bufsize 500k " +
            $"-x264-params {parameters} -f h264 \"{path}\"");
        var units = new List<H264Unit>();
        List<byte[]>? current = null;
        foreach (var nal in NalUnits.SplitAnnexB(await File.ReadAllBytesAsync(path)))
        {
            if ((nal[0] & 0x1f) == 9)
            {
                if (current is { Count: > 0 }) units.Add(new H264Unit(current));
                current = [];
            }
            (current ??= []).Add(nal);
        }
        if (current is { Count: > 0 }) units.Add(new H264Unit(current));
        return units;
    }

    /// <summary>AAC-LC frames (ADTS headers removed) of a sine tone, and their AudioSpecificConfig (ISO 14496-3 §1.6.2.1).</summary>
    public static async Task<(List<byte[]> Frames, byte[] Config)> AacAsync(string directory, int sampleRate, double seconds)
    {
        var path = Path.Combine(directory, $"quirk-{sampleRate}-{seconds}.aac");
        await MediaFiles.RunFfmpegAsync($"-f lavfi -i sine=frequency=440:sample_rate={sampleRate} -t {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} -c:a aac -b:a 32k -ac 1 -f adts \"{path}\"");
        var data = await File.ReadAllBytesAsync(path);
        var frames = new List<byte[]>();
        byte[]? config = null;
        for (var o = 0; o + 7 <= data.Length;)
        {
            // ADTS header (ISO 13818-7 §6.2): syncword, profile, sampling index, channels, frame length.
            if (data[o] != 0xff || (data[o + 1] & 0xf0) != 0xf0) throw new InvalidDataException($"no ADTS sync word at {o}");
            var headerLength = (data[o + 1] & 1) == 1 ? 7 : 9;
            var frameLength = (data[o + 3] & 0x03) << 11 | data[o + 4] << 3 | data[o + 5] >> 5;
            if (config is null)
            {
                var objectType = (data[o + 2] >> 6) + 1;
                var frequencyIndex = (data[o + 2] >> 2) & 0x0f;
                var channels = (data[o + 2] & 1) << 2 | data[o + 3] >> 6;
                config = [(byte)(objectType << 3 | frequencyIndex >> 1), (byte)((frequencyIndex & 1) << 7 | channels << 3)];
            }
            frames.Add(data.AsSpan(o + headerLength, frameLength - headerLength).ToArray());
            o += frameLength;
        }
        return (frames, config ?? throw new InvalidDataException("ffmpeg wrote no AAC frame"));
    }
}
