using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using NanoFed.Deploy;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;
using NanoFed.Federation.Transport;

namespace NanoFed.Cli;

/// <summary>
/// `nanofed server`: the server process of a federated run (<see cref="FlServer"/>): listens, waits for every device
/// to join, runs the rounds into a run folder as `nanofed fl` does (checkpoint after every round; --resume), then
/// tells the devices to stop. deploy.json records the ledger's total and the gRPC framing beside it.
/// </summary>
internal static class ServerCommand
{
    public static Command Create()
    {
        var node = new NodeOptions();
        var listen = new Option<string>("--listen") { Description = "Where to listen, https://HOST:PORT (port 0 picks a free one, printed on start)", Required = true };
        var tokens = new Option<string>("--tokens") { Description = "Tokens file: 'NODE TOKEN' per line, the server's (-1) and every device's", Required = true };
        var output = new Option<string>("--out") { Description = "Run folder", Required = true };
        var joinTimeout = new Option<double>("--join-timeout") { Description = "Seconds to wait for every device to join", DefaultValueFactory = _ => 300 };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint at the next round" };
        var command = new Command("server", "Serve a federated run to device processes over gRPC") { listen, tokens, output, joinTimeout, resume };
        foreach (var o in node.All) command.Options.Add(o);
        command.SetAction(parse => Program.Guard(() =>
        {
            var config = node.ReadConfig(parse);
            var experiment = FlExperiment.Load(config, ExperimentData.Root(parse.GetValue(node.Data)));
            var options = node.Transport(parse, config, Message.Server, parse.GetValue(listen)!, parse.GetValue(tokens)!, new Dictionary<int, string>());
            using var loggers = NodeLogging.Create();
            using var server = new FlServer(experiment, options, loggers);
            var folder = new FlRunFolder(parse.GetValue(output)!);
            var runner = server.Runner;
            runner.CheckpointPath = Path.Combine(folder.Path, FlCheckpoint.FileName);
            if (parse.GetValue(resume)) Console.Error.WriteLine($"nanofed server: resuming at round {FlCheckpoint.Restore(runner, runner.CheckpointPath) + 1}");
            folder.Start(experiment);
            Console.WriteLine($"nanofed server: listening on {server.Transport.ListenUrl}");
            server.WaitForDevices(TimeSpan.FromSeconds(parse.GetValue(joinTimeout)));
            try
            {
                FlCommand.RunRounds(runner, config.Rounds, folder, $"{runner.Strategy.Name}: test accuracy", $"{config.Dataset}, {config.Model}, deployed");
            }
            finally
            {
                server.StopDevices();
            }
            folder.WriteLedger(runner.Ledger);
            File.WriteAllText(Path.Combine(folder.Path, "deploy.json"), string.Create(CultureInfo.InvariantCulture,
                $"{{\n  \"ledger-bytes\": {runner.Ledger.Total()},\n  \"grpc-framing-bytes\": {server.FramingBytes},\n  \"messages\": {runner.Ledger.Entries.Count}\n}}\n"));
            Console.WriteLine($"run folder: {folder.Path}");
            return runner.History.Count < config.Rounds ? Program.Interrupted : 0;
        }));
        return command;
    }
}
