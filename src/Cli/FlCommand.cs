using NanoFed.Federation.Experiments;
using System.CommandLine;
using System.Globalization;
using NanoFed.Federation.Fl;
using NanoFed.Nets.Training;
using NanoFed.Threading;
using Spectre.Console;

namespace NanoFed.Cli;

/// <summary>
/// `nanofed fl`: one federated run (<see cref="FlExperiment"/>) into a folder (<see cref="FlRunFolder"/>) and the
/// three accuracy plots. Options map onto an <see cref="FlConfig"/>: --config gives the base, options given explicitly override it. Ctrl-C stops between rounds and keeps what is written.
/// </summary>
internal static class FlCommand
{
    public static Command Create()
    {
        var d = new FlConfig();
        var config = new Option<string?>("--config") { Description = "Run configuration (JSON, the keys are these options without dashes, e.g. a run folder's config.json); options given explicitly override it" };
        var method = new Option<string>("--method") { Description = $"Method: {string.Join(", ", FlConfig.Methods)}", DefaultValueFactory = _ => d.Method };
        var model = new Option<string>("--model") { Description = $"Model: {string.Join(", ", ModelCatalog.Names)}", DefaultValueFactory = _ => d.Model };
        var norm = NormOption.Create();
        var dataset = new Option<string?>("--dataset") { Description = "cifar10 or fashion-mnist (default: fashion-mnist for smallcnn, else cifar10)" };
        var clients = new Option<int>("--clients") { Description = "Clients N", DefaultValueFactory = _ => d.Clients };
        var perRound = new Option<int>("--per-round") { Description = "Clients sampled per round K", DefaultValueFactory = _ => d.PerRound };
        var quorum = new Option<int?>("--quorum") { Description = "Sampled clients that must answer for a round to count (default: all)" };
        var dropout = new Option<double>("--dropout") { Description = "Fault injection: probability that a sampled device drops out of a round (seeded per round and client)", DefaultValueFactory = _ => d.Dropout };
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
        var nesterov = new Option<bool>("--nesterov") { Description = "Nesterov momentum" };
        var schedule = new Option<string>("--schedule")
        {
            Description = "Learning rate over rounds: constant, multistep (x0.1 at --milestones), cosine or onecycle; sent to the clients each round",
            DefaultValueFactory = _ => d.Schedule,
        };
        var warmup = new Option<int>("--warmup-rounds") { Description = "Rounds at lr/10 first (onecycle: its rise; 0 for 30% of the rounds)", DefaultValueFactory = _ => d.WarmupRounds };
        var milestones = new Option<string>("--milestones") { Description = "Rounds after which lr drops x0.1 (multistep), comma-separated", DefaultValueFactory = _ => "" };
        var weightDecay = new Option<double>("--weight-decay") { Description = "Weight decay", DefaultValueFactory = _ => d.WeightDecay };
        var seed = new Option<ulong>("--seed") { Description = "Seed of initialization, partition, sampling and local training", DefaultValueFactory = _ => d.Seed };
        var splitIndex = new Option<int>("--split-index") { Description = "Layers on the device (split methods)", DefaultValueFactory = _ => d.SplitIndex };
        var bits = new Option<int>("--bits") { Description = "EcoFed activation bits", DefaultValueFactory = _ => d.Bits };
        var perChannel = new Option<bool>("--per-channel") { Description = "EcoFed: one quantization scale per channel" };
        var period = new Option<int>("--period") { Description = "EcoFed replay period P", DefaultValueFactory = _ => d.Period };
        var aggregator = new Option<string>("--aggregator") { Description = $"Server aggregation of fedavg and ecofed: {Federation.Aggregation.Aggregators.Names}", DefaultValueFactory = _ => d.Aggregator };
        var front = new Option<string?>("--front") { Description = "EcoFed: pre-trained front (a safetensors checkpoint, e.g. from nanofed train --train-range)" };
        var testFiles = new Option<string?>("--test-files") { Description = "CIFAR-10 test files the server evaluates, comma-separated, the primary one first (default as for train)" };
        var evalEvery = new Option<int>("--eval-every") { Description = "Evaluate the secondary test sets every K rounds and on the last", DefaultValueFactory = _ => d.EvalEvery };
        var s = d.System;
        var deviceFlops = new Option<double>("--device-flops") { Description = "Device FLOP/s", DefaultValueFactory = _ => s.DeviceFlops };
        var serverFlops = new Option<double>("--server-flops") { Description = "Server FLOP/s", DefaultValueFactory = _ => s.ServerFlops };
        var uplink = new Option<double>("--uplink") { Description = "Uplink bytes/s", DefaultValueFactory = _ => s.UplinkBytesPerSecond };
        var downlink = new Option<double>("--downlink") { Description = "Downlink bytes/s", DefaultValueFactory = _ => s.DownlinkBytesPerSecond };
        var latency = new Option<double>("--latency") { Description = "Latency per message (s)", DefaultValueFactory = _ => s.Latency };
        var roundDeadline = new Option<double?>("--round-deadline") { Description = "Fault injection: simulated seconds a device's turn may take; a device past it misses the round" };
        var slowdown = new Option<double>("--slowdown") { Description = "Fault injection: stragglers, a device's compute slowed by 1 + SLOWDOWN x an exponential draw of mean 1 (seeded per round and client)", DefaultValueFactory = _ => s.Slowdown };
        var data = new Option<string?>("--data") { Description = "Data root (default: environment variable NANOFED_DATA)" };
        var output = new Option<string?>("--out") { Description = "Run folder (default: runs/fl-METHOD-SPLIT-seedSEED)" };
        var threads = new Option<int?>("--threads") { Description = "Worker threads (default: NANOFED_THREADS or the processor count)" };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint at the next round (only --rounds and --eval-every may change)" };
        var force = new Option<bool>("--force") { Description = "Replace the run already in --out (without it, such a folder is refused)" };
        var cluster = new Option<string?>("--cluster") { Description = "Run the clients as grains of this cluster's silos (nanofed silo) instead of in this process" };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Gateway port of a silo of --cluster on this machine", DefaultValueFactory = _ => ClusterRuns.DefaultGatewayPort };
        var membership = new Option<string?>("--membership") { Description = "Membership table where --cluster's silos on several machines are registered: redis://HOST:PORT (default: the silos of this machine)" };
        var stopAfter = new Option<int?>("--stop-after") { Description = "Stop after this many rounds of this session (continue later with --resume)" };
        var dryRun = DryRun.Create();
        var command = new Command("fl", "Run federated learning and write a run folder")
        {
            config, method, model, norm, dataset, clients, perRound, quorum, dropout, rounds, split, shardsPerClient, shardSize, alpha, samples, pool, epochs, batch, lr,
            momentum, nesterov, schedule, warmup, milestones, weightDecay, seed, splitIndex, bits, perChannel, period, aggregator, front, testFiles, evalEvery, deviceFlops, serverFlops, uplink, downlink, latency,
            roundDeadline, slowdown, data, output, threads, resume, force, stopAfter, dryRun, cluster, gatewayPort, membership,
        };
        Option[] resumable = [rounds, evalEvery, data, output, threads, resume, stopAfter, dryRun, cluster, gatewayPort, membership];
        command.SetAction(parse => Program.Guard(() =>
        {
            T Pick<T>(Option<T> option, T current) => parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option)! : current;
            bool resuming = parse.GetValue(resume);
            if (resuming)
            {
                if (parse.GetValue(output) is null) throw new ArgumentException("--resume needs --out, the run folder to continue");
                if (command.Options.FirstOrDefault(o => !resumable.Contains(o) && parse.GetResult(o) is { Implicit: false }) is { } fixedOption)
                    throw new ArgumentException($"--resume continues the run as configured in its folder; {fixedOption.Name} cannot change (only --rounds and --eval-every)");
            }
            var b = resuming ? FlConfig.Read(FlRunFolder.ConfigPath(parse.GetValue(output)!))
                : parse.GetValue(config) is { } path ? FlConfig.Read(path) : d;
            var settings = b with
            {
                Method = Pick(method, b.Method), Model = Pick(model, b.Model), Norm = Pick(norm, b.Norm), Dataset = Pick(dataset, b.Dataset),
                Clients = Pick(clients, b.Clients), PerRound = Pick(perRound, b.PerRound), Quorum = Pick(quorum, b.Quorum), Dropout = Pick(dropout, b.Dropout), Rounds = Pick(rounds, b.Rounds),
                Split = Pick(split, b.Split), ShardsPerClient = Pick(shardsPerClient, b.ShardsPerClient), ShardSize = Pick(shardSize, b.ShardSize),
                Alpha = Pick(alpha, b.Alpha), SamplesPerClient = Pick(samples, b.SamplesPerClient), ClientPool = Pick(pool, b.ClientPool),
                LocalEpochs = Pick(epochs, b.LocalEpochs), Batch = Pick(batch, b.Batch), Lr = Pick(lr, b.Lr), Momentum = Pick(momentum, b.Momentum),
                Nesterov = Pick(nesterov, b.Nesterov), Schedule = Pick(schedule, b.Schedule), WarmupRounds = Pick(warmup, b.WarmupRounds),
                Milestones = parse.GetResult(milestones) is { Implicit: false } ? Milestones.Parse(parse.GetValue(milestones)!, "round") : b.Milestones,
                WeightDecay = Pick(weightDecay, b.WeightDecay), Seed = Pick(seed, b.Seed), SplitIndex = Pick(splitIndex, b.SplitIndex),
                Bits = Pick(bits, b.Bits), PerChannel = Pick(perChannel, b.PerChannel), Period = Pick(period, b.Period), Aggregator = Pick(aggregator, b.Aggregator), Front = Pick(front, b.Front),
                TestFiles = Pick(testFiles, b.TestFiles), EvalEvery = Pick(evalEvery, b.EvalEvery),
                System = (b.System ?? s) with
                {
                    DeviceFlops = Pick(deviceFlops, (b.System ?? s).DeviceFlops), ServerFlops = Pick(serverFlops, (b.System ?? s).ServerFlops),
                    UplinkBytesPerSecond = Pick(uplink, (b.System ?? s).UplinkBytesPerSecond),
                    DownlinkBytesPerSecond = Pick(downlink, (b.System ?? s).DownlinkBytesPerSecond), Latency = Pick(latency, (b.System ?? s).Latency),
                    Deadline = Pick(roundDeadline, (b.System ?? s).Deadline), Slowdown = Pick(slowdown, (b.System ?? s).Slowdown),
                },
            };
            settings.Validate();
            if (resuming && settings.Rounds != b.Rounds && settings.Schedule is "cosine" or "onecycle")
                throw new ArgumentException($"--resume: --rounds {settings.Rounds} would change the run's {settings.Schedule} schedule of {b.Rounds} rounds");
            if (parse.GetValue(threads) is { } n)
            {
                if (n is < 1 or > 64) throw new ArgumentException($"--threads must be 1..64, got {n}");
                Workers.Count = n;
            }
            ClusterRuns.Check(parse.GetValue(cluster), parse.GetValue(membership), parse.GetResult(gatewayPort) is { Implicit: false });
            string folder = parse.GetValue(output) ?? Path.Combine("runs", $"fl-{settings.Method}-{settings.Split}-seed{settings.Seed}");
            int session = parse.GetValue(stopAfter) ?? int.MaxValue;
            if (session <= 0) throw new ArgumentException($"--stop-after must be positive, got {session}");
            // A resumed run reads its data where it did unless --data says otherwise.
            string root = ExperimentData.Root(parse.GetValue(data) ?? (resuming ? ExperimentData.RecordedRoot(folder) : null));
            if (parse.GetValue(dryRun))
            {
                RunFolder.Check(folder, resuming, parse.GetValue(force));
                return DryRun.Print(settings.Resolve().ToJson());
            }
            RunFolder.Prepare(folder, resuming, parse.GetValue(force));
            var experiment = FlExperiment.Load(settings, root);
            int RunWith(FlRunner runner) => Run(experiment, runner, new FlRunFolder(folder), resuming, session);
            return parse.GetValue(cluster) is { } clusterId
                ? ClusterRuns.Fl(experiment, clusterId, parse.GetValue(membership), parse.GetValue(gatewayPort), folder, RunWith)
                : RunWith(experiment.Simulation());
        }));
        return command;
    }

    private static int Run(FlExperiment experiment, FlRunner runner, FlRunFolder folder, bool resume, int session)
    {
        var settings = experiment.Config;
        runner.CheckpointPath = Path.Combine(folder.Path, FlCheckpoint.FileName);
        if (resume)
        {
            int done = FlCheckpoint.Restore(runner, runner.CheckpointPath);
            if (done > settings.Rounds || (done == settings.Rounds && folder.Holds(runner))) throw new ArgumentException($"--resume: {folder.Path} has done {done} rounds already; give --rounds beyond it");
            Console.Error.WriteLine($"nanofed: resuming {folder.Path} at round {done + 1}");
        }
        folder.Start(experiment);
        string title = $"{runner.Strategy.Name}: test accuracy";
        string subtitle = $"{settings.Dataset}, {settings.Model}, {settings.Split} split, {settings.Clients} clients, {settings.PerRound} per round";
        // A kill between a round's checkpoint and its files left the files a round behind the checkpoint (after the last
        // round, with no ledger.csv): the checkpoint holds the rounds' metrics and ledger, so the files are rewritten from it.
        if (runner.History.Count > 0) WriteRound(runner, folder, title, subtitle);
        Console.Error.WriteLine($"nanofed: {runner.Strategy.Name} on {settings.Model} ({settings.Dataset}), {experiment.Partition.Summary()}, {settings.PerRound} per round, " +
            $"{settings.Rounds} rounds, front {experiment.FrontDescription}, {Workers.Count} threads");

        int start = runner.History.Count;
        RunRounds(runner, settings.Rounds, folder, title, subtitle, session);
        folder.WriteLedger(runner.Ledger);
        if (runner.History.Count < settings.Rounds && runner.History.Count - start == session)
        {
            Console.WriteLine($"stopped after round {runner.History.Count} of {settings.Rounds}: {folder.Path} (continue with --resume)");
            return 0;
        }
        if (runner.History.Count < settings.Rounds)
        {
            Console.Error.WriteLine($"nanofed: interrupted after round {runner.History.Count} of {settings.Rounds}; {folder.Path} holds the rounds done");
            return Program.Interrupted;
        }
        Console.WriteLine($"run folder: {folder.Path}");
        return 0;
    }

    /// <summary>
    /// Runs the rounds up to <paramref name="rounds"/>, at most <paramref name="session"/> of them, with a progress bar (or a
    /// line per round when the output is redirected); Ctrl-C stops between rounds.
    /// </summary>
    internal static void RunRounds(FlRunner runner, int rounds, FlRunFolder folder, string title, string subtitle, int session = int.MaxValue)
    {
        int count = Math.Min(rounds - runner.History.Count, session);
        using var stop = new CancellationTokenSource();
        runner.Cancellation = stop.Token;
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            if (Terminal.Interactive)
            {
                Terminal.RunProgress().Start(context =>
                {
                    var task = context.AddTask(Markup.Escape($"{runner.Strategy.Name} round 0/{rounds}"), maxValue: rounds);
                    runner.Run(count, m =>
                    {
                        task.Description = Markup.Escape(RoundLine(m, rounds));
                        task.Value = m.Round;
                        WriteRound(runner, folder, title, subtitle);
                    });
                });
            }
            else
            {
                runner.Run(count, m =>
                {
                    Console.WriteLine(RoundLine(m, rounds));
                    WriteRound(runner, folder, title, subtitle);
                });
            }
        }
        catch (DivergenceException e)
        {
            throw new DivergenceException($"{folder.Path}: {e.Message}; the files hold the rounds before it");
        }
        catch (QuorumException e)
        {
            throw new QuorumException($"{folder.Path}: {e.Message}; the files hold the rounds before it (continue with --resume)", e);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static string RoundLine(FlRoundMetrics m, int rounds) => string.Create(CultureInfo.InvariantCulture,
        $"round {m.Round}/{rounds}: acc {m.Accuracy:P2}, {Bytes(m.CumulativeBytes)}, {m.CumulativeSeconds:F1} s simulated") +
        (m.Skipped is { } why ? $"; skipped: {why}" : m.Dropped > 0 ? $"; {m.Dropped} dropped out" : "") +
        (m.Failures.Count == 0 ? "" : "; failed: " + string.Join("; ", m.Failures.Select(f => $"client {f.Client} ({f.Reason})")));

    /// <summary>Bytes in binary units (MiB, GiB), as the spec's traffic table counts them.</summary>
    public static string Bytes(double bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        int u = 0;
        while (bytes >= 1024 && u < units.Length - 1) { bytes /= 1024; u++; }
        return string.Create(CultureInfo.InvariantCulture, $"{bytes:F2} {units[u]}");
    }

    /// <summary>Rewrites the run folder's metrics, ledger summary and plots after a round.</summary>
    private static void WriteRound(FlRunner runner, FlRunFolder folder, string title, string subtitle)
    {
        folder.WriteRound(runner);
        FlPlots.Write(folder.Path, [(runner.Strategy.Name, runner.History)], title, subtitle);
    }
}
