using Sightline.Server.Cli;
using Sightline.Server.Hosting;

if (args.Length > 0 && args[0] == "probe")
{
    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        cancel.Cancel();
    };
    return await ProbeCommand.RunAsync(args[1..], Console.Out, cancel.Token);
}

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
