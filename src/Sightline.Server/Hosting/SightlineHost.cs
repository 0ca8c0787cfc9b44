using System.Net;
using System.Security.Cryptography.X509Certificates;
using Sightline.Server.Api;
using Sightline.Server.Configuration;
using Sightline.Server.Diagnostics;
using Sightline.Server.Webhooks;
using Sightline.Sessions;
using Sightline.Sessions.Events;
using Sightline.Sessions.Ids;

namespace Sightline.Server.Hosting;

/// <summary>Builds the web application: configuration, services, middleware and routes. Used by <c>Program</c> and by tests.</summary>
public static class SightlineHost
{
    /// <param name="overrides">Settings that win over the environment (tests use them); null values are ignored.</param>
    public static WebApplication Build(string[] args, IDictionary<string, string?>? overrides = null, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args });
        if (overrides is not null) builder.Configuration.AddInMemoryCollection(overrides);
        var options = OpenViduEnvironment.Read(builder.Configuration);

        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff ";
        });
        builder.WebHost.ConfigureKestrel(k =>
        {
            var address = IPAddress.Parse(options.ServerAddress);
            k.Listen(address, options.ServerPort, listen =>
            {
                if (options.UsesTls)
                {
                    listen.UseHttps(X509Certificate2.CreateFromPemFile(options.TlsCertificatePath!, options.TlsKeyPath));
                }
            });
            k.Limits.MaxRequestBodySize = RequestBody.MaxBytes * 2L;
        });

        var s = builder.Services;
        s.AddSingleton(options);
        s.AddSingleton(TimeProvider.System);
        s.AddSingleton(new IdGenerator());
        s.AddSingleton(new SessionEventBus());
        s.AddSingleton(sp => new SessionRegistry(
            new SessionsOptions { TokenUrlBase = options.TokenUrlBase, DefaultIceServers = options.IceServers },
            sp.GetRequiredService<SessionEventBus>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IdGenerator>()));
        s.AddSingleton<CameraHostResolver>();
        s.AddSingleton(new Sightline.Media.Ingest.CameraFiles(options.CameraFilesDirectory));
        s.AddSingleton(Cameras.WebRtcOptions.Read(builder.Configuration) with
        {
            Ladder = new Sightline.Media.Transcoding.LadderOptions(
                MinBitrate: options.VideoMinSendBandwidth * 1000,
                MaxBitrate: options.VideoMaxSendBandwidth * 1000,
                TopBitrate: options.VideoMaxSendBandwidth > 0 ? options.VideoMaxSendBandwidth * 1000 : 2_000_000),
        });
        s.AddSingleton<Cameras.CameraService>();
        s.AddSingleton<Signaling.SignalingHub>();
        if (options.Recording)
        {
            s.AddSingleton(sp => new Sightline.Recording.RecordingManager(
                new Sightline.Recording.RecordingOptions(options.RecordingPath, options.PublicUrlText, TimeSpan.FromSeconds(options.RecordingAutostopTimeoutSeconds)),
                sp.GetRequiredService<SessionRegistry>(), sp.GetRequiredService<Cameras.CameraService>().Pool,
                sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>()));
        }
        s.AddSingleton<SessionEventLog>();
        // Registration order is shutdown order reversed: sessions close first, then the webhook queue drains.
        s.AddSingleton<WebhookDispatcher>();
        s.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        s.AddSingleton<CdrWriter>();
        s.AddHostedService(sp => sp.GetRequiredService<CdrWriter>());
        s.AddHostedService<SessionLifecycleService>();
        s.Configure<HostOptions>(h => h.ShutdownTimeout = options.Webhook.DrainTimeout + TimeSpan.FromSeconds(5));
        s.AddCors();
        services?.Invoke(s);

        var app = builder.Build();
        var bus = app.Services.GetRequiredService<SessionEventBus>();
        bus.Subscribe(app.Services.GetRequiredService<SessionEventLog>());
        bus.Subscribe(app.Services.GetRequiredService<WebhookDispatcher>());
        bus.Subscribe(app.Services.GetRequiredService<CdrWriter>());
        bus.Subscribe(app.Services.GetRequiredService<Cameras.CameraService>());
        bus.Subscribe(app.Services.GetRequiredService<Signaling.SignalingHub>());
        if (options.Recording) bus.Subscribe(app.Services.GetRequiredService<Sightline.Recording.RecordingManager>());

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sightline.Server");
        app.Lifetime.ApplicationStarted.Register(() =>
            ServerLog.Listening(logger, SightlineOptions.Version, $"{(options.UsesTls ? "https" : "http")}://{options.ServerAddress}:{options.ServerPort}", options.PublicUrlText));

        if (options.SupportDeprecatedApi)
        {
            app.Use((context, next) =>
            {
                // Pre-2.16 paths: /api/… and /config map onto /openvidu/api/…
                var path = context.Request.Path;
                if (path.StartsWithSegments("/api", out var rest)) context.Request.Path = "/openvidu/api" + rest;
                else if (path.StartsWithSegments("/config", out rest)) context.Request.Path = "/openvidu/api/config" + rest;
                return next(context);
            });
        }
        app.UseMiddleware<SpringErrorMiddleware>();
        app.UseCors(c => c.AllowAnyOrigin().AllowAnyHeader().AllowAnyMethod());
        app.UseRouting();
        app.UseMiddleware<BasicAuthMiddleware>();

        var api = app.MapGroup("/openvidu/api");
        SessionEndpoints.Map(api);
        ConnectionEndpoints.Map(api);
        MiscEndpoints.Map(api);
        RecordingEndpoints.Map(api, app, options.Recording);
        Signaling.SignalingEndpoint.Map(app);
        Demo.DemoEndpoints.Map(app, builder.Configuration);
        app.MapGet("/openvidu/accept-certificate", () => Results.Text("Sightline certificate accepted"));
        return app;
    }
}
