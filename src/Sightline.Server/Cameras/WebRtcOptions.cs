using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Sightline.Server.Cameras;

/// <summary>Where browsers reach the media port: <c>SIGHTLINE_WEBRTC_PORT</c> (UDP, default 40000) and the addresses announced.</summary>
public sealed record WebRtcOptions(int Port, IReadOnlyList<IPAddress> AnnouncedAddresses, TimeSpan CameraLinger)
{
    /// <summary>Bounds of re-encoded rungs: OPENVIDU_STREAMS_VIDEO_MIN/MAX_SEND_BANDWIDTH (kb/s; a max of 0 = unbounded).</summary>
    public Sightline.Media.Transcoding.LadderOptions Ladder { get; init; } = new();

    public static WebRtcOptions Read(IConfiguration config)
    {
        var port = int.TryParse(config["SIGHTLINE_WEBRTC_PORT"], out var p) && p is >= 0 and <= 65535 ? p : 40000;
        var linger = int.TryParse(config["SIGHTLINE_CAMERA_LINGER_MS"], out var l) && l >= 0 ? TimeSpan.FromMilliseconds(l) : TimeSpan.FromSeconds(2);
        var announced = new List<IPAddress>();
        foreach (var text in (config["SIGHTLINE_WEBRTC_ANNOUNCED_IPS"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!IPAddress.TryParse(text, out var ip)) throw new InvalidOperationException($"Invalid configuration:{Environment.NewLine}  SIGHTLINE_WEBRTC_ANNOUNCED_IPS: '{text}' is not an IP address");
            announced.Add(ip);
        }
        if (announced.Count == 0)
        {
            // Every up IPv4 interface, the public-looking ones first; loopback last (a browser on the same machine).
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces().Where(n => n.OperationalStatus == OperationalStatus.Up))
            {
                foreach (var a in nic.GetIPProperties().UnicastAddresses)
                {
                    if (a.Address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a.Address)) announced.Add(a.Address);
                }
            }
            announced.Add(IPAddress.Loopback);
        }
        return new WebRtcOptions(port, announced, linger);
    }
}
