using System.Text.Json;
using Sightline.Media.Sources;
using Sightline.Media.Transcoding;

namespace Sightline.Server.Cameras;

/// <summary>
/// A camera's figures for <c>/openvidu/api/sightline/runtime</c>: its bitrate, viewers, moves between rungs, and for each
/// rung of its quality ladder the viewers on it and, when it is re-encoded, the encoder's size, bitrate and time per frame.
/// </summary>
public static class CameraMetrics
{
    public static void Write(Utf8JsonWriter w, CameraSource source)
    {
        var ladder = source.Ladder;
        var perRung = source.ViewersPerRung();
        w.WriteStartObject();
        w.WriteString("rtspUri", source.Camera.DisplayUri);
        w.WriteNumber("cameraBitrate", source.CameraBitrate);
        w.WriteNumber("viewers", source.ViewerCount);
        w.WriteNumber("layerSwitches", source.LayerSwitches);
        w.WriteBoolean("decoding", ladder is not null);
        w.WriteNumber("encodersRunning", ladder?.EncodersRunning ?? 0);
        if (ladder is not null && ladder.FramesDecoded > 0) w.WriteNumber("decodeMsPerFrame", Math.Round(ladder.DecodeMilliseconds / ladder.FramesDecoded, 3));
        w.WriteStartArray("layers");
        for (var i = 0; i < QualityLadder.RungCount; i++)
        {
            var rung = ladder?.Rungs[i];
            var passthrough = i == 0 && source.PassthroughTop;
            w.WriteStartObject();
            w.WriteNumber("layer", i);
            w.WriteString("source", passthrough ? "camera" : "encoder");
            w.WriteNumber("viewers", perRung[i]);
            w.WriteBoolean("running", passthrough || rung?.Running == true);
            if (rung is { Running: true } && !passthrough)
            {
                w.WriteNumber("width", rung.Width);
                w.WriteNumber("height", rung.Height);
                w.WriteNumber("targetBitrate", rung.TargetBitrate);
                w.WriteNumber("bitrate", rung.Bitrate);
                w.WriteNumber("framesOut", rung.FramesOut);
                w.WriteNumber("keyframes", rung.Keyframes);
                if (rung.FramesEncoded > 0) w.WriteNumber("encodeMsPerFrame", Math.Round(rung.EncodeMilliseconds / rung.FramesEncoded, 3));
            }
            else if (passthrough) w.WriteNumber("bitrate", source.CameraBitrate);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
