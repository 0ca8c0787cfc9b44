using Sightline.TestKit;

namespace Sightline.Codecs.Tests;

public sealed class AudioTranscoderTests
{
    /// <summary>Raw AAC frames and the AudioSpecificConfig from an ADTS file made by ffmpeg (ISO 14496-3 §1.A.2).</summary>
    private static (List<byte[]> Frames, byte[] Config) ReadAdts(byte[] adts)
    {
        var frames = new List<byte[]>();
        byte[] config = [];
        var i = 0;
        while (i + 7 <= adts.Length)
        {
            var protectionAbsent = (adts[i + 1] & 1) == 1;
            var profile = (adts[i + 2] >> 6) + 1;
            var rateIndex = adts[i + 2] >> 2 & 0xf;
            var channels = (adts[i + 2] & 1) << 2 | adts[i + 3] >> 6;
            var length = (adts[i + 3] & 3) << 11 | adts[i + 4] << 3 | adts[i + 5] >> 5;
            var header = protectionAbsent ? 7 : 9;
            frames.Add(adts[(i + header)..(i + length)]);
            config = [(byte)(profile << 3 | rateIndex >> 1), (byte)((rateIndex & 1) << 7 | channels << 3)];
            i += length;
        }
        return (frames, config);
    }

    [Fact]
    public async Task Aac_BecomesOpus_In20msFrames()
    {
        var dir = Directory.CreateTempSubdirectory("sightline-aac-");
        try
        {
            var path = Path.Combine(dir.FullName, "tone.aac");
            await MediaFiles.RunFfmpegAsync($"-f lavfi -i sine=frequency=440:sample_rate=44100:duration=2 -c:a aac -b:a 64k -f adts \"{path}\"");
            var (frames, config) = ReadAdts(await File.ReadAllBytesAsync(path));
            using var transcoder = new AudioTranscoder("aac", config, channels: 1);
            var packets = 0;
            var bytes = 0;
            foreach (var f in frames)
            {
                transcoder.Transcode(f, p =>
                {
                    packets++;
                    bytes += p.Length;
                    Assert.InRange(p.Length, 3, 1275); // one Opus frame (RFC 6716 §3.4)
                });
            }
            // 2 s of audio is 100 frames of 20 ms; the AAC encoder's priming and padding add up to about 2 frames each
            // side, and a few samples stay in our encoder.
            Assert.InRange(packets, 95, 105);
            Assert.InRange(bytes * 8 / 2, 20_000, 80_000);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
