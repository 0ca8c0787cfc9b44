using System.Text.Json;
using Sightline.Media.Sources;
using Sightline.Media.Transcoding;

namespace Sightline.Server.Cameras;

/// <summary>
/// A camera's figures for <c>/openvidu/api/sightline/runtime</c>: its bitrate, viewers, moves between rungs, the viewers on
/// the camera's own stream, and for each re-encoded layer (a rung in a codec) its viewers and encoder's size, bitrate and
/// time per frame.
/// </summary>
public static class CameraMetrics
{
    public static void Write(Utf8JsonWriter w, CameraSource source)
    {
        var ladder = source.Ladder;
        var (onCamera, perLayer) = source.ViewersPerLayer();
        w.WriteStartObject();
        w.WriteString("rtspUri", source.Camera.DisplayUri);
        w.WriteNumber("cameraBitrate", source.CameraBitrate);
        w.WriteNumber("viewers", source.ViewerCount);
        w.WriteNumber("layerSwitches", source.LayerSwitches);
        w.WriteBoolean("decoding", ladder is not null);
        w.WriteNumber("encodersRunning", ladder?.EncodersRunning ?? 0);
        if (ladder is not null && ladder.FramesDecoded > 0) w.WriteNumber("decodeMsPerFrame", Math.Round(ladder.DecodeMilliseconds / ladder.FramesDecoded, 3));
        // The camera's own stream first (when browsers can take it), then every re-encoded layer that runs or has viewers.
        w.WriteStartArray("layers");
        if (source.PassthroughTop)
        {
            w.WriteStartObject();
            w.WriteNumber("layer", 0);
            w.WriteString("codec", source.Video()?.Codec.ToString() ?? "H264");
            w.WriteString("source", "camera");
            w.WriteNumber("viewers", onCamera);
            w.WriteBoolean("running", true);
            w.WriteNumber("bitrate", source.CameraBitrate);
            w.WriteEndObject();
        }
        for (var i = 0; i < QualityLadder.LayerCount; i++)
        {
            var rung = ladder?.Layers[i];
            if (perLayer[i] == 0 && rung is not { Running: true }) continue;
            w.WriteStartObject();
            w.WriteNumber("layer", i % QualityLadder.RungCount);
            w.WriteString("codec", QualityLadder.OutputCodecs[i / QualityLadder.RungCount].ToString());
            w.WriteString("source", "encoder");
            w.WriteNumber("viewers", perLayer[i]);
            w.WriteBoolean("running", rung?.Running == true);
            if (rung is { Running: true })
            {
                w.WriteNumber("width", rung.Width);
                w.WriteNumber("height", rung.Height);
                w.WriteNumber("targetBitrate", rung.TargetBitrate);
                w.WriteNumber("bitrate", rung.Bitrate);
                w.WriteNumber("framesOut", rung.FramesOut);
                w.WriteNumber("keyframes", rung.Keyframes);
                if (rung.FramesEncoded > 0) w.WriteNumber("encodeMsPerFrame", Math.Round(rung.EncodeMilliseconds / rung.FramesEncoded, 3));
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
