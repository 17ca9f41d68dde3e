using NanoFed.Federation.Experiments;
using System.CommandLine;
using System.Globalization;
using System.Text;
using NanoFed.Federation.Fl;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Partitioning;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;
using NanoFed.Nets.Training;
using NanoFed.Threading;
using Spectre.Console;

namespace NanoFed.Cli;

/// <summary>
/// `nanofed fl`: one federated run into a folder: config.json, metrics.csv/json, ledger.csv, ledger-summary.csv/json,
/// partition.csv and the three accuracy plots. Ctrl-C stops between rounds and keeps what is written.
/// </summary>
internal static class FlCommand
{
    /// <summary>Stream id of the client partition: <c>RngStream(seed, PartitionStream)</c>.</summary>
    private const ulong PartitionStream = 0x5B117;

    public static Command Create()
    {
        var d = new FlSettings();
        var method = new Option<string>("--method") { Description = $"Method: {string.Join(", ", FlSettings.Methods)}", DefaultValueFactory = _ => d.Method };
        var model = new Option<string>("--model") { Description = $"Model: {string.Join(", ", ModelCatalog.Names)}", DefaultValueFactory = _ => d.Model };
        var norm = NormOption.Create();
        var dataset = new Option<string?>("--dataset") { Description = "cifar10 or fashion-mnist (default: fashion-mnist for smallcnn, else cifar10)" };
        var clients = new Option<int>("--clients") { Description = "Clients N", DefaultValueFactory = _ => d.Clients };
        var perRound = new Option<int>("--per-round") { Description = "Clients sampled per round K", DefaultValueFactory = _ => d.PerRound };
        var rounds = new Option<int>("--rounds") { Description = "Rounds", DefaultValueFactory = _ => d.Rounds };
        var split = new Option<string>("--split") { Description = "iid, shards or dirichlet", DefaultValueFactory = _ => d.Split };
        var shardsPerClient = new Option<int>("--shards-per-client") { Description = "Shards per client (shards split)", DefaultValueFactory = _ => d.ShardsPerClient };
        var shardSize = new Option<int?>("--shard-size") { Description = "Images per shard (default: samples-per-client / shards-per-client)" };
        var alpha = new Option<double>("--alpha") { Description = "Dirichlet concentration (dirichlet split)", DefaultValueFactory = _ => d.Alpha };
        var samples = new Option<int>("--samples-per-client") { Description = "Training images per client (dirichlet: on average)", DefaultValueFactory = _ => d.SamplesPerClient };
        var pool = new Option<string?>("--client-pool") { Description = "Clients draw from training images START:END only (default: all)" };
        var epochs = new Option<int>("--local-epochs") { Description = "Local epochs E per round", DefaultValueFactory = _ => d.LocalEpochs };
        var batch = new Option<int>("--batch") { Description = "Local batch size B", DefaultValueFactory = _ => d.Batch };
        var lr = new Option<double>("--lr") { Description = "SGD learning rate", DefaultValueFactory = _ => d.Lr };
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum (reset every round)", DefaultValueFactory = _ => d.Momentum };
        var weightDecay = new Option<double>("--weight-decay") { Description = "Weight decay", DefaultValueFactory = _ => d.WeightDecay };
        var seed = new Option<ulong>("--seed") { Description = "Seed of initialization, partition, sampling and local training", DefaultValueFactory = _ => d.Seed };
        var splitIndex = new Option<int>("--split-index") { Description = "Layers on the device (split methods)", DefaultValueFactory = _ => d.SplitIndex };
        var bits = new Option<int>("--bits") { Description = "EcoFed activation bits", DefaultValueFactory = _ => d.Bits };
        var perChannel = new Option<bool>("--per-channel") { Description = "EcoFed: one quantization scale per channel" };
        var period = new Option<int>("--period") { Description = "EcoFed replay period P", DefaultValueFactory = _ => d.Period };
        var front = new Option<string?>("--front") { Description = "EcoFed: pre-trained front (a safetensors checkpoint, e.g. from nanofed train --train-range)" };
        var data = new Option<string?>("--data") { Description = "Data root (default: environment variable NANOFED_DATA)" };
        var output = new Option<string?>("--out") { Description = "Run folder (default: runs/fl-METHOD-SPLIT-seedSEED)" };
        var threads = new Option<int?>("--threads") { Description = "Worker threads (default: NANOFED_THREADS or the processor count)" };
        var evalEvery = new Option<int>("--eval-every") { Description = "Evaluate the secondary test sets every K rounds and on the last", DefaultValueFactory = _ => d.EvalEvery };
        var s = d.System;
        var deviceFlops = new Option<double>("--device-flops") { Description = "Device FLOP/s", DefaultValueFactory = _ => s.DeviceFlops };
        var serverFlops = new Option<double>("--server-flops") { Description = "Server FLOP/s", DefaultValueFactory = _ => s.ServerFlops };
        var uplink = new Option<double>("--uplink") { Description = "Uplink bytes/s", DefaultValueFactory = _ => s.UplinkBytesPerSecond };
        var downlink = new Option<double>("--downlink") { Description = "Downlink bytes/s", DefaultValueFactory = _ => s.DownlinkBytesPerSecond };
        var latency = new Option<double>("--latency") { Description = "Latency per message (s)", DefaultValueFactory = _ => s.Latency };
        var command = new Command("fl", "Run federated learning and write a run folder")
        {
            method, model, norm, dataset, clients, perRound, rounds, split, shardsPerClient, shardSize, alpha, samples, pool, epochs, batch, lr,
            momentum, weightDecay, seed, splitIndex, bits, perChannel, period, front, data, output, threads, evalEvery,
            deviceFlops, serverFlops, uplink, downlink, latency,
        };
        command.SetAction(parse => Program.Guard(() =>
        {
            string modelName = parse.GetValue(model)!;
            var settings = new FlSettings
            {
                Method = parse.GetValue(method)!, Model = modelName, Norm = parse.GetValue(norm)!,
                Dataset = parse.GetValue(dataset) ?? (ModelCatalog.IsGrey(modelName) ? "fashion-mnist" : "cifar10"),
                Clients = parse.GetValue(clients), PerRound = parse.GetValue(perRound), Rounds = parse.GetValue(rounds),
                Split = parse.GetValue(split)!, ShardsPerClient = parse.GetValue(shardsPerClient), ShardSize = parse.GetValue(shardSize),
                Alpha = parse.GetValue(alpha), SamplesPerClient = parse.GetValue(samples),
                ClientPool = parse.GetValue(pool) is { } p ? ExperimentData.Range("--client-pool", p) : null,
                LocalEpochs = parse.GetValue(epochs), Batch = parse.GetValue(batch), Lr = parse.GetValue(lr), Momentum = parse.GetValue(momentum),
                WeightDecay = parse.GetValue(weightDecay), Seed = parse.GetValue(seed), SplitIndex = parse.GetValue(splitIndex),
                Bits = parse.GetValue(bits), PerChannel = parse.GetValue(perChannel), Period = parse.GetValue(period), Front = parse.GetValue(front),
                EvalEvery = parse.GetValue(evalEvery),
                System = new Federation.SystemModel.SystemModel(parse.GetValue(deviceFlops), parse.GetValue(serverFlops), parse.GetValue(uplink),
                    parse.GetValue(downlink), parse.GetValue(latency)),
            };
            settings.Validate();
            if (parse.GetValue(threads) is { } n)
            {
                if (n is < 1 or > 64) throw new ArgumentException($"--threads must be 1..64, got {n}");
                Workers.Count = n;
            }
            string folder = parse.GetValue(output) ?? Path.Combine("runs", $"fl-{settings.Method}-{settings.Split}-seed{settings.Seed}");
            return Run(settings, ExperimentData.Root(parse.GetValue(data)), folder);
        }));
        return command;
    }

    private static int Run(FlSettings settings, string root, string folder)
    {
        var train = ExperimentData.Train(settings.Dataset, root);
        var tests = ExperimentData.Tests(settings.Dataset, root, null);
        var (start, end) = settings.ClientPool ?? (0, train.Count);
        if (end > train.Count) throw new ArgumentException($"--client-pool {start}:{end} reaches past the {train.Count} training images");
        long wanted = (long)settings.Clients * settings.SamplesPerClient;
        if (wanted > end - start)
            throw new ArgumentException($"--clients {settings.Clients} x --samples-per-client {settings.SamplesPerClient} = {wanted} images exceed the client pool {start}:{end}");
        var partition = PoolSplit.Split(settings.Partitioner(), train.Labels, train.Classes, start, end, (int)wanted, new RngStream(settings.Seed, PartitionStream));

        Func<Nets.Modules.Sequential> createModel = () => ModelCatalog.Create(settings.Model, settings.Seed, train.Classes, ModelCatalog.ParseNorm(settings.Model, settings.Norm));
        int layers = createModel().Count;
        if (settings.SplitIndex >= layers) throw new ArgumentException($"--split-index must be 1..{layers - 1} for {settings.Model}, got {settings.SplitIndex}");
        var (method, createClient, frontDescription) = FlMethods.Create(settings, createModel, [train.Channels, train.Height, train.Width], train.Classes);
        var clients = new ClientPopulation(train, partition, DatasetCatalog.NormalizationOf(settings.Dataset), createClient);
        var ledger = new TrafficLedger();
        var transport = new InProcessTransport(ledger);
        if (method is IMessageHandler handler) transport.Register(Message.Server, handler);
        var runner = new FlRunner(method, clients, tests, settings.PerRound, settings.Seed, transport, ledger, settings.System)
        {
            EvaluateEvery = settings.EvalEvery,
        };

        Directory.CreateDirectory(folder);
        string[] trainFiles = settings.Dataset == "cifar10" ? [.. Cifar10.TrainFiles] : ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"];
        string[] testFiles = settings.Dataset == "cifar10" ? ExperimentData.TestFileNames(settings.Dataset, root, null) : ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];
        File.WriteAllText(Path.Combine(folder, "config.json"), settings.ToJson(frontDescription, root, trainFiles, testFiles, (start, end), partition.Summary()) + "\n");
        File.WriteAllText(Path.Combine(folder, "partition.csv"), PartitionCsv(partition));
        Console.Error.WriteLine($"nanofed: {method.Name} on {settings.Model} ({settings.Dataset}), {partition.Summary()}, {settings.PerRound} per round, " +
            $"{settings.Rounds} rounds, front {frontDescription}, {Workers.Count} threads");

        RunRounds(runner, settings.Rounds, folder, $"{method.Name}: test accuracy",
            $"{settings.Dataset}, {settings.Model}, {settings.Split} split, {settings.Clients} clients, {settings.PerRound} per round");
        File.WriteAllText(Path.Combine(folder, "ledger.csv"), runner.Ledger.ToCsv());
        if (runner.History.Count < settings.Rounds)
        {
            Console.Error.WriteLine($"nanofed: interrupted after round {runner.History.Count} of {settings.Rounds}; {folder} holds the rounds done");
            return Program.Interrupted;
        }
        Console.WriteLine($"run folder: {folder}");
        return 0;
    }

    /// <summary>Runs the rounds with a progress bar (or a line per round when the output is redirected); Ctrl-C stops between rounds.</summary>
    private static void RunRounds(FlRunner runner, int rounds, string folder, string title, string subtitle)
    {
        using var stop = new CancellationTokenSource();
        runner.Cancellation = stop.Token;
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
            {
                AnsiConsole.Progress().AutoClear(false)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(context =>
                    {
                        var task = context.AddTask(Markup.Escape($"{runner.Strategy.Name} round 0/{rounds}"), maxValue: rounds);
                        runner.Run(rounds, m =>
                        {
                            task.Description = Markup.Escape(RoundLine(m, rounds));
                            task.Value = m.Round;
                            WriteRound(runner, folder, title, subtitle);
                        });
                    });
            }
            else
            {
                runner.Run(rounds, m =>
                {
                    Console.WriteLine(RoundLine(m, rounds));
                    WriteRound(runner, folder, title, subtitle);
                });
            }
        }
        catch (DivergenceException e)
        {
            throw new DivergenceException($"{folder}: {e.Message}; the files hold the rounds before it");
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static string RoundLine(FlRoundMetrics m, int rounds) => string.Create(CultureInfo.InvariantCulture,
        $"round {m.Round}/{rounds}: acc {m.Accuracy:P2}, {Bytes(m.CumulativeBytes)}, {m.CumulativeSeconds:F1} s simulated");

    /// <summary>Bytes in binary units (MiB, GiB), as the spec's traffic table counts them.</summary>
    public static string Bytes(double bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        int u = 0;
        while (bytes >= 1024 && u < units.Length - 1) { bytes /= 1024; u++; }
        return string.Create(CultureInfo.InvariantCulture, $"{bytes:F2} {units[u]}");
    }

    /// <summary>Rewrites the run folder's metrics, ledger summary and plots after a round.</summary>
    private static void WriteRound(FlRunner runner, string folder, string title, string subtitle)
    {
        var history = runner.History;
        File.WriteAllText(Path.Combine(folder, "metrics.csv"), FlRoundMetrics.ToCsv(history));
        File.WriteAllText(Path.Combine(folder, "metrics.json"), FlRoundMetrics.ToJson(history, indented: true) + "\n");
        var summary = LedgerSummary.Of(runner.Ledger, history.Sum(m => (long)m.Clients.Count));
        File.WriteAllText(Path.Combine(folder, "ledger-summary.csv"), summary.ToCsv());
        File.WriteAllText(Path.Combine(folder, "ledger-summary.json"), summary.ToJson() + "\n");
        FlPlots.Write(folder, [(runner.Strategy.Name, history)], title, subtitle);
    }

    private static string PartitionCsv(Partition partition)
    {
        var sb = new StringBuilder("client,size");
        for (int c = 0; c < partition.Classes; c++) sb.Append(CultureInfo.InvariantCulture, $",class_{c}");
        sb.Append('\n');
        for (int i = 0; i < partition.Clients; i++)
            sb.Append(CultureInfo.InvariantCulture, $"{i},{partition.Indices[i].Length},{string.Join(',', partition.Histograms[i])}\n");
        return sb.ToString();
    }
}
