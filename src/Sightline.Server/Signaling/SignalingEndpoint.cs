using Sightline.Server.Cameras;
using Sightline.Sessions;

namespace Sightline.Server.Signaling;

/// <summary>Maps the openvidu-browser WebSocket at <c>/openvidu</c> (any origin, as OpenVidu).</summary>
public static class SignalingEndpoint
{
    public static void Map(WebApplication app)
    {
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.Map("/openvidu", async (HttpContext context, SessionRegistry registry, SignalingHub hub, CameraService cameras, ILoggerFactory loggers) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var connection = new SignalingConnection(socket, registry, hub, cameras, loggers.CreateLogger("Sightline.Server.Signaling"), context.Connection.RemoteIpAddress?.ToString());
            await connection.RunAsync(context.RequestAborted);
        });
    }
}
