using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sightline.Sessions.Model;

namespace Sightline.Server.Api;

/// <summary>
/// Turns REST bodies into validated properties with OpenVidu's checks and messages (strict JSON types, Java enum names).
/// Each method returns null and an error message, or the properties and null.
/// </summary>
public static partial class PropertiesReader
{
    private const string JavaString = "java.lang.String";
    private const string JavaBoolean = "java.lang.Boolean";
    private const string JavaNumber = "java.lang.Number";
    private const string JavaMap = "java.util.Map";

    /// <summary>Body of <c>POST /openvidu/api/sessions</c>.</summary>
    public static SessionProperties? ReadSession(JsonElement? body, SessionProperties defaults, out string? error)
    {
        error = null;
        var p = defaults;
        if (body is not { } b) return p;
        if (b.ValueKind != JsonValueKind.Object)
        {
            error = "Type error in some parameter: " + ApiError.JavaCastMessage(b, JavaMap);
            return null;
        }

        // Types first: OpenVidu casts every parameter before it validates any value.
        foreach (var name in new[] { "mediaMode", "recordingMode", "customSessionId", "forcedVideoCodec" })
        {
            if (RequestBody.Member(b, name) is { ValueKind: not JsonValueKind.String } bad)
            {
                error = "Type error in some parameter: " + ApiError.JavaCastMessage(bad, JavaString);
                return null;
            }
        }
        if (RequestBody.Member(b, "allowTranscoding") is { } at && !IsBool(at))
        {
            error = "Type error in some parameter: " + ApiError.JavaCastMessage(at, JavaBoolean);
            return null;
        }

        if (RequestBody.Member(b, "mediaMode") is { } mm)
        {
            if (!TryEnum<MediaMode>(mm.GetString()!, out var v))
            {
                error = $"Some parameter is not valid. No enum constant io.openvidu.java.client.MediaMode.{mm.GetString()}";
                return null;
            }
            p = p with { MediaMode = v };
        }
        if (RequestBody.Member(b, "recordingMode") is { } rm)
        {
            if (!TryEnum<RecordingMode>(rm.GetString()!, out var v))
            {
                error = $"Some parameter is not valid. No enum constant io.openvidu.java.client.RecordingMode.{rm.GetString()}";
                return null;
            }
            p = p with { RecordingMode = v };
        }
        if (RequestBody.Member(b, "customSessionId") is { } cs)
        {
            var id = cs.GetString()!;
            if (id.Length > 0 && !SessionIdPattern().IsMatch(id))
            {
                error = "Some parameter is not valid. Parameter 'customSessionId' is wrong. Must be an alphanumeric string [a-zA-Z0-9_-]";
                return null;
            }
            p = p with { CustomSessionId = id };
        }
        if (RequestBody.Member(b, "forcedVideoCodec") is { } fc)
        {
            if (!TryEnum<ForcedVideoCodec>(fc.GetString()!, out var v))
            {
                error = $"Invalid value for parameter 'forcedVideoCodec': No enum constant io.openvidu.java.client.VideoCodec.{fc.GetString()}";
                return null;
            }
            p = p with { ForcedVideoCodec = v };
        }
        if (RequestBody.Member(b, "allowTranscoding") is { } t)
        {
            p = p with { AllowTranscoding = t.GetBoolean() };
        }
        if (RequestBody.Member(b, "defaultRecordingProperties") is { } drp)
        {
            var rec = ReadRecording(drp, out var recError);
            if (rec is null)
            {
                error = "Some parameter is not valid. Parameter 'defaultRecordingProperties' is not valid: " + recError;
                return null;
            }
            p = p with { DefaultRecordingProperties = rec };
        }
        if (RequestBody.Member(b, "mediaNode") is { } node)
        {
            if (node.ValueKind != JsonValueKind.Object || RequestBody.Member(node, "id") is not { ValueKind: JsonValueKind.String } nodeId)
            {
                error = "Some parameter is not valid. Error in parameter 'mediaNode'. Property 'id' not found";
                return null;
            }
            p = p with { MediaNodeId = nodeId.GetString() };
        }
        return p;
    }

    /// <summary>The error of a recording with neither audio nor video (422 when starting one).</summary>
    public const string NoMediaError = "Cannot start a recording with both \"hasAudio\" and \"hasVideo\" set to false";

    /// <summary>A <c>RecordingProperties</c> object (session defaults, and recording start over <paramref name="baseline"/>).</summary>
    public static RecordingProperties? ReadRecording(JsonElement e, out string? error, RecordingProperties? baseline = null)
    {
        error = null;
        if (e.ValueKind != JsonValueKind.Object)
        {
            error = ApiError.JavaCastMessage(e, JavaMap);
            return null;
        }
        var r = baseline ?? new RecordingProperties();
        try
        {
            if (RequestBody.Member(e, "name") is { } n) r = r with { Name = String(n) };
            if (RequestBody.Member(e, "hasAudio") is { } ha) r = r with { HasAudio = Bool(ha) };
            if (RequestBody.Member(e, "hasVideo") is { } hv) r = r with { HasVideo = Bool(hv) };
            if (RequestBody.Member(e, "outputMode") is { } om)
            {
                if (!TryEnum<OutputMode>(String(om), out var v)) throw new FormatException($"No enum constant io.openvidu.java.client.Recording.OutputMode.{om.GetString()}");
                r = r with { OutputMode = v };
            }
            if (RequestBody.Member(e, "recordingLayout") is { } rl)
            {
                if (!TryEnum<RecordingLayout>(String(rl), out var v)) throw new FormatException($"No enum constant io.openvidu.java.client.RecordingLayout.{rl.GetString()}");
                r = r with { RecordingLayout = v };
            }
            if (RequestBody.Member(e, "resolution") is { } res)
            {
                var text = String(res);
                var m = ResolutionPattern().Match(text);
                if (!m.Success || !InRange(m.Groups[1].Value, 100, 1999) || !InRange(m.Groups[2].Value, 100, 1999))
                {
                    throw new FormatException($"Wrong \"resolution\" parameter. Acceptable values from 100 to 1999 for both width and height: {text}");
                }
                r = r with { Resolution = text };
            }
            if (RequestBody.Member(e, "frameRate") is { } fr)
            {
                var v = Int(fr);
                if (v is < 1 or > 120) throw new FormatException($"Wrong \"frameRate\" parameter. Acceptable values are [1,120]: {v}");
                r = r with { FrameRate = v };
            }
            if (RequestBody.Member(e, "shmSize") is { } shm)
            {
                if (shm.ValueKind != JsonValueKind.Number || !shm.TryGetInt64(out var v)) throw new InvalidCastException(ApiError.JavaCastMessage(shm, JavaNumber));
                if (v < 134217728) throw new FormatException($"Wrong \"shmSize\" parameter. Must be 134217728 (128 MB) minimum: {v}");
                r = r with { ShmSize = v };
            }
            if (RequestBody.Member(e, "customLayout") is { } cl) r = r with { CustomLayout = String(cl) };
            if (RequestBody.Member(e, "ignoreFailedStreams") is { } ifs) r = r with { IgnoreFailedStreams = Bool(ifs) };
            if (RequestBody.Member(e, "mediaNode") is { } mn)
            {
                r = r with { MediaNode = mn.ValueKind == JsonValueKind.Object && RequestBody.Member(mn, "id") is { ValueKind: JsonValueKind.String } id ? id.GetString() : String(mn) };
            }
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException)
        {
            error = ex.Message;
            return null;
        }
        if (r.HasAudio == false && r.HasVideo == false)
        {
            error = NoMediaError;
            return null;
        }
        return r;
    }

    /// <summary>Body of <c>POST …/connection</c> (and of the legacy tokens route): WEBRTC or IPCAM properties.</summary>
    /// <param name="missingRtspUri">Set when an IPCAM body lacks <c>rtspUri</c>: OpenVidu reports that only after the session checks.</param>
    public static ConnectionProperties? ReadConnection(JsonElement? body, out string? error, out bool missingRtspUri)
    {
        error = null;
        missingRtspUri = false;
        var p = new ConnectionProperties();
        if (body is not { } b) return p;
        if (b.ValueKind != JsonValueKind.Object)
        {
            error = "Type error in some parameter: " + ApiError.JavaCastMessage(b, JavaMap);
            return null;
        }

        if (RequestBody.Member(b, "type") is { } type)
        {
            if (type.ValueKind != JsonValueKind.String)
            {
                error = "Type error in some parameter: " + ApiError.JavaCastMessage(type, JavaString);
                return null;
            }
            if (!TryEnum<ConnectionType>(type.GetString()!, out var t))
            {
                error = $"Parameter 'type' {type.GetString()} is not defined";
                return null;
            }
            p = p with { Type = t };
        }
        if (RequestBody.Member(b, "data") is { } data)
        {
            if (data.ValueKind != JsonValueKind.String)
            {
                error = "Type error in some parameter: " + ApiError.JavaCastMessage(data, JavaString);
                return null;
            }
            p = p with { Data = data.GetString() };
        }
        if (RequestBody.Member(b, "record") is { } record)
        {
            if (!IsBool(record))
            {
                error = "Type error in parameter 'record': " + ApiError.JavaCastMessage(record, JavaBoolean);
                return null;
            }
            p = p with { Record = record.GetBoolean() };
        }

        return p.Type == ConnectionType.IPCAM
            ? ReadIpCamera(b, p, out error, out missingRtspUri)
            : ReadWebRtc(b, p, out error);
    }

    private static ConnectionProperties? ReadWebRtc(JsonElement b, ConnectionProperties p, out string? error)
    {
        error = null;
        if (RequestBody.Member(b, "role") is { } role)
        {
            if (role.ValueKind != JsonValueKind.String)
            {
                error = "Type error in some parameter: " + ApiError.JavaCastMessage(role, JavaString);
                return null;
            }
            if (!TryEnum<OpenViduRole>(role.GetString()!, out var r))
            {
                error = $"Parameter role {role.GetString()} is not defined";
                return null;
            }
            p = p with { Role = r };
        }
        if (RequestBody.Member(b, "kurentoOptions") is { } ko)
        {
            var k = ReadKurentoOptions(ko, out error);
            if (k is null) return null;
            p = p with { KurentoOptions = k };
        }
        if (RequestBody.Member(b, "customIceServers") is { } ice)
        {
            var list = ReadIceServers(ice, out error);
            if (list is null) return null;
            p = p with { CustomIceServers = list };
        }
        return p;
    }

    private static ConnectionProperties? ReadIpCamera(JsonElement b, ConnectionProperties p, out string? error, out bool missingRtspUri)
    {
        error = null;
        missingRtspUri = false;
        var rtsp = RequestBody.Member(b, "rtspUri");
        var adaptative = RequestBody.Member(b, "adaptativeBitrate");
        var onlyPlay = RequestBody.Member(b, "onlyPlayWithSubscribers");
        var cache = RequestBody.Member(b, "networkCache");
        foreach (var (value, expected) in new[] { (rtsp, JavaString), (adaptative, JavaBoolean), (onlyPlay, JavaBoolean), (cache, JavaNumber) })
        {
            if (value is not { } v) continue;
            var ok = expected switch
            {
                JavaString => v.ValueKind == JsonValueKind.String,
                JavaBoolean => IsBool(v),
                _ => v.ValueKind == JsonValueKind.Number,
            };
            if (!ok)
            {
                error = "Type error in some parameter: " + ApiError.JavaCastMessage(v, expected);
                return null;
            }
        }

        int networkCache = Sightline.Sessions.Model.IpCameraProperties.DefaultNetworkCacheMs;
        if (cache is { } c)
        {
            // Java's Number.intValue(): truncated toward zero, saturated at the int range.
            var d = c.GetDouble();
            networkCache = d >= int.MaxValue ? int.MaxValue : d <= int.MinValue ? int.MinValue : (int)Math.Truncate(d);
            if (networkCache < 0)
            {
                error = $"Error in parameter 'networkCache': must be 0 or more milliseconds, got {networkCache}";
                return null;
            }
        }

        string? uriText = null;
        if (rtsp is { } r)
        {
            uriText = r.GetString()!;
            if (!Sightline.Sessions.Ids.CameraUri.TryParse(uriText, out var uri, out var uriError))
            {
                error = "Error in parameter 'rtspUri': " + uriError;
                return null;
            }
            if (uri!.Scheme is null || !Sightline.Sessions.Ids.CameraUri.AllowedSchemes.Contains(uri.Scheme))
            {
                error = "Error in parameter 'rtspUri': RTSP URI does not contain a valid protocol [file, rtsp, rtsps, http, https]";
                return null;
            }
        }
        else
        {
            missingRtspUri = true;
        }

        return p with
        {
            Role = null,
            KurentoOptions = null,
            CustomIceServers = [],
            IpCamera = new IpCameraProperties(
                uriText ?? "",
                adaptative?.GetBoolean() ?? IpCameraProperties.DefaultAdaptativeBitrate,
                onlyPlay?.GetBoolean() ?? IpCameraProperties.DefaultOnlyPlayWithSubscribers,
                networkCache),
        };
    }

    private static KurentoOptions? ReadKurentoOptions(JsonElement e, out string? error)
    {
        error = null;
        if (e.ValueKind != JsonValueKind.Object)
        {
            error = "Error in parameter 'kurentoOptions'. It is not a valid JSON object";
            return null;
        }
        try
        {
            int? Bw(string name) => RequestBody.Member(e, name) is { } v ? Int(v) : null;
            var filters = new List<string>();
            if (RequestBody.Member(e, "allowedFilters") is { } af)
            {
                if (af.ValueKind != JsonValueKind.Array) throw new InvalidCastException(ApiError.JavaCastMessage(af, "java.util.List"));
                foreach (var f in af.EnumerateArray()) filters.Add(String(f));
            }
            return new KurentoOptions(Bw("videoMaxRecvBandwidth"), Bw("videoMinRecvBandwidth"), Bw("videoMaxSendBandwidth"), Bw("videoMinSendBandwidth"), filters);
        }
        catch (InvalidCastException ex)
        {
            error = "Type error in some parameter of 'kurentoOptions': " + ex.Message;
            return null;
        }
    }

    private static List<IceServer>? ReadIceServers(JsonElement e, out string? error)
    {
        error = null;
        try
        {
            if (e.ValueKind != JsonValueKind.Array) throw new InvalidCastException(ApiError.JavaCastMessage(e, "java.util.List"));
            var list = new List<IceServer>();
            foreach (var s in e.EnumerateArray())
            {
                if (s.ValueKind != JsonValueKind.Object) throw new InvalidCastException(ApiError.JavaCastMessage(s, JavaMap));
                if (RequestBody.Member(s, "url") is not { } url) throw new InvalidCastException("'url' is mandatory");
                string? Opt(string name) => RequestBody.Member(s, name) is { } v ? String(v) : null;
                list.Add(new IceServer(String(url), Opt("username"), Opt("credential"), Opt("staticAuthSecret")));
            }
            return list;
        }
        catch (InvalidCastException ex)
        {
            error = "Type error in some parameter of 'customIceServers': " + ex.Message;
            return null;
        }
    }

    private static bool IsBool(JsonElement e) => e.ValueKind is JsonValueKind.True or JsonValueKind.False;

    private static string String(JsonElement e) =>
        e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new InvalidCastException(ApiError.JavaCastMessage(e, JavaString));

    private static bool Bool(JsonElement e) =>
        IsBool(e) ? e.GetBoolean() : throw new InvalidCastException(ApiError.JavaCastMessage(e, JavaBoolean));

    private static int Int(JsonElement e) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out var d) && d is >= int.MinValue and <= int.MaxValue
            ? (int)Math.Truncate(d)
            : throw new InvalidCastException(ApiError.JavaCastMessage(e, JavaNumber));

    private static bool InRange(string digits, int min, int max) =>
        int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max;

    private static bool TryEnum<T>(string text, out T value) where T : struct, Enum =>
        Enum.TryParse(text, ignoreCase: false, out value) && Enum.IsDefined(value) && !int.TryParse(text, out _);

    [GeneratedRegex("^[a-zA-Z0-9_-]+$")]
    private static partial Regex SessionIdPattern();

    [GeneratedRegex("^([0-9]+)x([0-9]+)$")]
    private static partial Regex ResolutionPattern();
}
