using System.Net;
using System.Net.Sockets;
using Sightline.Sessions.Ids;

namespace Sightline.Server.Api;

/// <summary>
/// Finds the <c>ip</c> OpenVidu shows for a camera: its host resolved once, when the camera is added. A name that does not
/// resolve in time gives null (not an error); no host at all (<c>file:///…</c>) gives the loopback address, as Java does.
/// </summary>
public sealed class CameraHostResolver
{
    /// <summary>How long adding a camera may wait for DNS.</summary>
    public static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(2);

    public async Task<string?> ResolveAsync(CameraUri uri, CancellationToken cancel)
    {
        if (uri.Host is null) return IPAddress.Loopback.ToString();
        var host = uri.Host.StartsWith('[') ? uri.Host[1..^1] : uri.Host;
        if (IPAddress.TryParse(host, out var literal)) return literal.ToString();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(ResolveTimeout);
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host, timeout.Token);
            var v4 = Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetwork);
            return (v4 ?? addresses.FirstOrDefault())?.ToString();
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ArgumentException)
        {
            return null;
        }
    }
}
