using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sightline.Server.Tests;

/// <summary>A backend's webhook endpoint: a real HTTP server on loopback that keeps every body it receives, in order.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly List<JsonElement> _received = [];
    private readonly List<string> _raw = [];
    private readonly List<string> _authorization = [];
    private readonly WebApplication _app;

    private WebhookReceiver(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}/webhook";

    /// <summary>A port nothing listens on yet (so connections to it are refused until a receiver starts there).</summary>
    public static int FreePort() => Sightline.TestKit.FreePorts.Tcp();

    public static async Task<WebhookReceiver> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        WebhookReceiver? self = null;
        app.MapPost("/webhook", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var text = await reader.ReadToEndAsync();
            lock (self!._received)
            {
                self._raw.Add(text);
                self._received.Add(JsonDocument.Parse(text).RootElement.Clone());
                self._authorization.Add(request.Headers.Authorization.ToString());
            }
            return Results.Ok();
        });
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        var actual = port != 0 ? port : new Uri(addresses.First()).Port;
        self = new WebhookReceiver(app, actual);
        return self;
    }

    public IReadOnlyList<JsonElement> Events
    {
        get { lock (_received) return [.. _received]; }
    }

    public IReadOnlyList<string> Raw
    {
        get { lock (_received) return [.. _raw]; }
    }

    public IReadOnlyList<string> AuthorizationHeaders
    {
        get { lock (_received) return [.. _authorization]; }
    }

    public IReadOnlyList<string> Names => [.. Events.Select(e => e.GetProperty("event").GetString()!)];

    /// <summary>Waits until the receiver holds at least <paramref name="count"/> events.</summary>
    public async Task<IReadOnlyList<JsonElement>> WaitForCountAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var now = Events;
            if (now.Count >= count) return now;
            await Task.Delay(50);
        }
        throw new TimeoutException($"expected {count} webhook events, got {Events.Count}: {string.Join(", ", Names)}");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
