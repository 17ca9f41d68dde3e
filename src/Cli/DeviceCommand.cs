using System.CommandLine;
using NanoFed.Deploy;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Transport;

namespace NanoFed.Cli;

/// <summary>
/// `nanofed device`: one device process of a federated run (<see cref="FlDevice"/>): builds its client with only its
/// own partition, listens, joins the server and works when told until the server stops it (or Ctrl-C); it rejoins a
/// server restarted with --resume, and gives up after --join-timeout seconds without an answer.
/// </summary>
internal static class DeviceCommand
{
    public static Command Create()
    {
        var node = new NodeOptions();
        var server = new Option<string>("--server") { Description = "The server's URL, https://HOST:PORT", Required = true };
        var client = new Option<int>("--client") { Description = "This device's client id (0..clients-1)", Required = true };
        var tokenFile = new Option<string>("--token-file") { Description = "Tokens file holding this device's line and the server's (-1)", Required = true };
        var listen = new Option<string>("--listen") { Description = "Where this device listens for the server's pushes", DefaultValueFactory = _ => "https://127.0.0.1:0" };
        var joinTimeout = new Option<double>("--join-timeout") { Description = "Seconds to keep trying to (re)join a server that does not answer", DefaultValueFactory = _ => 300 };
        var command = new Command("device", "Run one device of a federated run against a server") { server, client, tokenFile, listen, joinTimeout };
        foreach (var o in node.All) command.Options.Add(o);
        command.SetAction(parse => Program.Guard(() =>
        {
            var config = node.ReadConfig(parse);
            double patience = parse.GetValue(joinTimeout);
            if (!(patience > 0) || !double.IsFinite(patience)) throw new ArgumentException($"--join-timeout must be positive, got {patience}");
            int id = parse.GetValue(client);
            var options = node.Transport(parse, config, id, parse.GetValue(listen)!, parse.GetValue(tokenFile)!,
                new Dictionary<int, string> { [Message.Server] = parse.GetValue(server)! });
            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
            using var loggers = NodeLogging.Create();
            using var device = new FlDevice(config, ExperimentData.Root(parse.GetValue(node.Data)), options, loggers);
            Console.WriteLine($"nanofed device {id}: listening on {device.Transport.ListenUrl}");
            try { device.Run(TimeSpan.FromSeconds(patience), stop.Token); }
            catch (OperationCanceledException) { return Program.Interrupted; }
            return 0;
        }));
        return command;
    }
}
