using Sightline.Server.Hosting;

try
{
    var app = SightlineHost.Build(args);
    await app.RunAsync();
    return 0;
}
catch (InvalidOperationException e) when (e.Message.StartsWith("Invalid configuration", StringComparison.Ordinal))
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
