using System.Net;
using System.Net.Sockets;

namespace Sightline.TestKit;

/// <summary>Loopback ports that nothing listens on right now.</summary>
public static class FreePorts
{
    public static int Tcp()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
