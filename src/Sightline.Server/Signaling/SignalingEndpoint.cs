using Sightline.Server.Cameras;
using Sightline.Sessions;

namespace Sightline.Server.Signaling;

/// <summary>Maps the openvidu-browser WebSocket at <c>/openvidu</c> (any origin, as OpenVidu).</summary>
public static class SignalingEndpoint
{
    public static void Map(WebApplication app)
    {
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        // SIGHTLINE_SUBSCRIBE_FLOW=server-offers makes joinRoom say mediaServer "mediasoup": openvidu-browser then lets the
        // server offer (prepareReceiveVideoFrom). The default, "kurento", is OpenVidu CE's: the browser offers.
        var mediaServer = app.Configuration["SIGHTLINE_SUBSCRIBE_FLOW"] == "server-offers" ? "mediasoup" : "kurento";
        app.Map("/openvidu", async (HttpContext context, SessionRegistry registry, SignalingHub hub, CameraService cameras, ILoggerFactory loggers) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var connection = new SignalingConnection(socket, registry, hub, cameras, loggers.CreateLogger("Sightline.Server.Signaling"), context.Connection.RemoteIpAddress?.ToString(), mediaServer);
            await connection.RunAsync(context.RequestAborted);
        });
    }
}
