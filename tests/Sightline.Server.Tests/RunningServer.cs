using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sightline.Server.Hosting;

namespace Sightline.Server.Tests;

/// <summary>The real Sightline host on a free loopback port, with an HTTP client that knows the secret.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private RunningServer(WebApplication app, Uri baseUrl)
    {
        App = app;
        BaseUrl = baseUrl;
        Client = new HttpClient { BaseAddress = baseUrl };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("OPENVIDUAPP:MY_SECRET")));
        Anonymous = new HttpClient { BaseAddress = baseUrl };
    }

    public WebApplication App { get; }
    public Uri BaseUrl { get; }
    public HttpClient Client { get; }
    public HttpClient Anonymous { get; }

    public static async Task<RunningServer> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["SERVER_PORT"] = "0",
            ["SERVER_ADDRESS"] = "127.0.0.1",
            ["SIGHTLINE_WEBRTC_PORT"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) all[k] = v;
        var app = SightlineHost.Build([], all);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RunningServer(app, new Uri(address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)));
    }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public async Task StopAsync() => await App.StopAsync();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Anonymous.Dispose();
        try
        {
            await App.StopAsync();
        }
        catch (ObjectDisposedException)
        {
        }
        await App.DisposeAsync();
    }
}
