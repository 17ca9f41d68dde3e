using System.CommandLine;
using System.Globalization;
using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Experiments;
using NanoFed.Nets.Training;
using NanoFed.Threading;
using Spectre.Console;

namespace NanoFed.Cli;

/// <summary>
/// `nanofed gossip`: decentralized training of n agents (all-reduce, SGP, Sparse-Push, SCSP, no communication) into a
/// run folder: config.json, metrics.csv/json per epoch (consensus-phase rows apart, phase = consensus),
/// checkpoint.safetensors after every epoch and after SCSP's consensus phase, accuracy.svg and consensus.svg. With
/// --cluster the agents train on a cluster's grains and the run folder is written here from their states
/// (<see cref="ClusterRuns.Gossip"/>).
/// </summary>
internal static class GossipCommand
{
    /// <summary>The formula of the compression ratio written to metrics.json.</summary>
    public const string RatioFormula =
        "compression_ratio = dense_sgp_bytes_per_agent / bytes_per_agent; dense_sgp_bytes_per_agent = sum over the same iterations t and agents i " +
        "of |N_out(i,t)| * (4 d + 52) / n on the same graph (the serialized size of dense SGP's message: d float32 values in one tensor, " +
        "the push-sum weight as a one-value tensor, 22 bytes of message header and 13 of each tensor's header)";

    public static Command Create()
    {
        var d = new GossipConfig();
        var method = new Option<string>("--method") { Description = string.Join("|", GossipMethods.Names), DefaultValueFactory = _ => d.Method };
        var agents = new Option<int>("--agents") { Description = "Number of agents", DefaultValueFactory = _ => d.Agents };
        var graph = new Option<string>("--graph") { Description = string.Join("|", GossipGraphs.Names), DefaultValueFactory = _ => d.Graph };
        var degree = new Option<int>("--degree") { Description = "Out-degree of the random and permutation graphs", DefaultValueFactory = _ => d.Degree };
        var gossipEvery = new Option<string>("--gossip-every") { Description = "Iterations per gossip round H: the agents take H local steps per gossip (1: at every iteration); H1,H2,... one per learning-rate phase (--milestones)", DefaultValueFactory = _ => "1" };
        var gossipBurst = new Option<int>("--gossip-burst") { Description = "Consecutive gossip rounds B ending each --gossip-every period (on the exponential graph of 2^k agents, k rounds average exactly)", DefaultValueFactory = _ => d.GossipBurst };
        var keep = new Option<double>("--keep") { Description = "Fraction of entries kept per tensor (top-k, random-k)", DefaultValueFactory = _ => d.Keep };
        var gamma = new Option<float?>("--gamma") { Description = $"Consensus step of the compressed methods (default {Federation.Gossip.SparsePush.DefaultGamma})" };
        var consensusStep = new Option<string>("--consensus-step") { Description = "How gamma is applied: constant, lr (gamma x lr(t) / lr) or adagossip[:BETA] (a step per coordinate, min(1, gamma / sqrt(v)))", DefaultValueFactory = _ => d.ConsensusStepRule };
        var form = new Option<string>("--form") { Description = "Sparse-Push form: A (error feedback) or B (compressed differences)", DefaultValueFactory = _ => d.Form };
        var coding = new Option<string>("--index-coding") { Description = "int32|uint16|bitmap|delta (uint16 falls back to int32 for a tensor of more than 65,536 entries)", DefaultValueFactory = _ => d.IndexCoding };
        var compressor = new Option<string>("--compressor") { Description = "topk|randomk|quantize|sign", DefaultValueFactory = _ => d.Compressor };
        var bits = new Option<int>("--bits") { Description = "Bits of the quantize compressor", DefaultValueFactory = _ => d.Bits };
        var entropyCoding = new Option<bool>("--entropy-coding") { Description = "Entropy-code the quantize compressor's codes (rANS over each tensor's code frequencies): the same run in fewer bytes" };
        var valueBits = new Option<int>("--value-bits") { Description = "Bits per top-k value: 32 (float32) or 2..8 (codes with one scale per tensor, nearest rounding)", DefaultValueFactory = _ => d.ValueBits };
        var pack = new Option<bool>("--pack") { Description = "Pack each message's sparse tensors into one, under one header (the same values and indices; fewer framing bytes)" };
        var keepWarmup = new Option<int>("--keep-warmup-epochs") { Description = "Compression warm-up: keep falls geometrically from --keep-start to --keep over the first E epochs (0: off)", DefaultValueFactory = _ => d.KeepWarmupEpochs };
        var keepStart = new Option<double>("--keep-start") { Description = "Keep at the first iteration of the warm-up (1: every entry)", DefaultValueFactory = _ => d.KeepStart };
        var skew = new Option<double?>("--skew") { Description = "Non-IID skew in [0, 1] (default IID)" };
        var alpha = new Option<double?>("--alpha") { Description = "Dirichlet non-IID split with concentration alpha (instead of --skew)" };
        var model = new Option<string>("--model") { Description = $"Model: {string.Join(", ", ModelCatalog.Names)}", DefaultValueFactory = _ => d.Model };
        var norm = NormOption.Create();
        var dataset = new Option<string?>("--dataset") { Description = "cifar10 or fashion-mnist (default: fashion-mnist for smallcnn, else cifar10)" };
        var epochs = new Option<int>("--epochs") { Description = "Epochs (may be raised on --resume)", DefaultValueFactory = _ => d.Epochs };
        var batch = new Option<int>("--batch") { Description = "Batch size per agent", DefaultValueFactory = _ => d.Batch };
        var lr = new Option<double>("--lr") { Description = "Base learning rate", DefaultValueFactory = _ => d.Lr };
        var warmup = new Option<int>("--warmup-epochs") { Description = "Epochs at lr/10 first", DefaultValueFactory = _ => d.WarmupEpochs };
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum", DefaultValueFactory = _ => d.Momentum };
        var nesterov = new Option<bool>("--nesterov") { Description = "Nesterov momentum" };
        var quasiGlobal = new Option<bool>("--quasi-global-momentum") { Description = "Quasi-global momentum (Lin et al. 2021): each agent's momentum buffer follows its model's change across the step and the gossip, not its local gradient" };
        var tracking = new Option<double?>("--update-tracking") { Description = "Global Update Tracking (Aketi et al. 2023) with scaling MU in (0, 1]: each gradient is corrected by the decayed sum of the gossip's moves on the agent" };
        var weightDecay = new Option<double>("--weight-decay") { Description = "Weight decay", DefaultValueFactory = _ => d.WeightDecay };
        var schedule = new Option<string>("--schedule") { Description = "multistep (x0.1 at --milestones), cosine or onecycle, stepped per iteration", DefaultValueFactory = _ => d.Schedule };
        var milestones = new Option<string>("--milestones") { Description = "Epochs at which lr drops x0.1, comma-separated", DefaultValueFactory = _ => "" };
        var rounds = new Option<int>("--consensus-rounds") { Description = "SCSP's consensus rounds after training", DefaultValueFactory = _ => d.ConsensusRounds };
        var roundsCompressor = new Option<string>("--consensus-compressor") { Description = "Compressor of SCSP's consensus rounds: none (uncompressed push-sum) or topk, randomk, quantize, sign (form B, with --keep, --index-coding, --value-bits, --entropy-coding)", DefaultValueFactory = _ => d.ConsensusCompressor };
        var roundsGamma = new Option<float>("--consensus-gamma") { Description = "Consensus step of SCSP's compressed consensus rounds", DefaultValueFactory = _ => d.ConsensusGamma };
        var roundsBits = new Option<int?>("--consensus-bits") { Description = "Bits of the quantize compressor in SCSP's consensus rounds (default: --bits)" };
        var roundsBn = new Option<string>("--consensus-bn") { Description = "BatchNorm statistics in SCSP's consensus rounds: local (each agent's own data) or gossip (also push-summed)", DefaultValueFactory = _ => d.ConsensusBn };
        var absence = new Option<double>("--absence") { Description = "Fault injection: probability that an agent is away for a window of --absence-iterations and then rejoins (sgp, sparse-push, scsp; seeded per window and agent)", DefaultValueFactory = _ => d.Absence };
        var absenceIterations = new Option<int>("--absence-iterations") { Description = "Length in iterations of the windows of --absence", DefaultValueFactory = _ => d.AbsenceIterations };
        var messageLoss = new Option<double>("--message-loss") { Description = "Fault injection: probability that a gossip message is lost (sgp, sparse-push, scsp; seeded per iteration, sender and receiver)", DefaultValueFactory = _ => d.MessageLoss };
        var seed = new Option<ulong>("--seed") { Description = "Seed of initialization, partition, shuffling and graphs", DefaultValueFactory = _ => d.Seed };
        var data = new Option<string?>("--data") { Description = "Data root (default: environment variable NANOFED_DATA)" };
        var output = new Option<string?>("--out") { Description = "Run folder (default: runs/gossip-METHOD-seedSEED)" };
        var threads = new Option<int?>("--threads") { Description = "Worker threads (default: NANOFED_THREADS or the processor count)" };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint (its config.json applies)" };
        var evalEvery = new Option<int>("--eval-every") { Description = "Evaluate the agents on the secondary test sets every K epochs (and at the end)", DefaultValueFactory = _ => d.EvalEvery };
        var testFiles = new Option<string?>("--test-files") { Description = "CIFAR-10 test files, comma-separated (default as for train)" };
        var limit = new Option<int>("--limit") { Description = "Train on the first N training images only (quick checks)" };
        var testLimit = new Option<int>("--test-limit") { Description = "Evaluate on the first N images of each test set only (quick checks)" };
        var noAugment = new Option<bool>("--no-augment") { Description = "No crop and flip augmentation (CIFAR-10)" };
        var evaluate = new Option<bool>("--evaluate") { Description = "With --resume: score the last checkpoint (for scsp: after its consensus rounds once they have run) on every test set into evaluation.csv, without training" };
        var tuneGamma = new Option<string?>("--tune-gamma") { Description = "Instead of training: sweep the consensus step over this comma-separated list (default 1..0.001) by gossip alone on random vectors of the model's size, and print the best", Arity = ArgumentArity.ZeroOrOne };
        var tuneIterations = new Option<int>("--tune-iterations") { Description = "Gossip iterations of each --tune-gamma trial", DefaultValueFactory = _ => 1000 };
        var stopAfter = new Option<int?>("--stop-after") { Description = "Stop after this many epochs of this session (continue later with --resume)" };
        var configFile = new Option<string?>("--config") { Description = "Run the configuration in this JSON file (a run folder's config.json); options given too override its values" };
        var force = new Option<bool>("--force") { Description = "Replace the run already in --out (without it, such a folder is refused)" };
        var cluster = new Option<string?>("--cluster") { Description = "Run the agents as grains of this cluster's silos (nanofed silo) instead of in this process (sgp, sparse-push, dpsgd, choco)" };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Gateway port of a silo of --cluster on this machine", DefaultValueFactory = _ => ClusterRuns.DefaultGatewayPort };
        var membership = new Option<string?>("--membership") { Description = "Membership table where --cluster's silos on several machines are registered: redis://HOST:PORT (default: the silos of this machine)" };
        var dryRun = DryRun.Create();
        var command = new Command("gossip", "Decentralized training of agents over a graph (SGP, Sparse-Push, SCSP, ...)")
        {
            method, agents, graph, degree, gossipEvery, gossipBurst, keep, gamma, consensusStep, form, coding, compressor, bits, entropyCoding, valueBits, pack, keepWarmup, keepStart, skew, alpha, model, norm, dataset, epochs, batch, lr, warmup, milestones,
            rounds, roundsBn, roundsCompressor, roundsGamma, roundsBits, messageLoss, absence, absenceIterations, seed, data, output, threads, resume, evalEvery, testFiles, limit, testLimit, noAugment, stopAfter, evaluate, configFile, force,
            tuneGamma, tuneIterations, momentum, nesterov, quasiGlobal, tracking, weightDecay, schedule, dryRun, cluster, gatewayPort, membership,
        };
        command.SetAction(parse => Program.Guard(() =>
        {
            string modelName = parse.GetValue(model)!;
            var config = new GossipConfig
            {
                Method = parse.GetValue(method)!,
                Agents = parse.GetValue(agents),
                Graph = parse.GetValue(graph)!,
                Degree = parse.GetValue(degree),
                GossipEvery = Milestones.Parse(parse.GetValue(gossipEvery)!, "iteration count", "--gossip-every"),
                GossipBurst = parse.GetValue(gossipBurst),
                Keep = parse.GetValue(keep),
                Gamma = parse.GetValue(gamma),
                ConsensusStepRule = parse.GetValue(consensusStep)!,
                Form = parse.GetValue(form)!,
                IndexCoding = parse.GetValue(coding)!,
                Compressor = parse.GetValue(compressor)!,
                Bits = parse.GetValue(bits),
                EntropyCoding = parse.GetValue(entropyCoding),
                ValueBits = parse.GetValue(valueBits),
                Pack = parse.GetValue(pack),
                KeepWarmupEpochs = parse.GetValue(keepWarmup),
                KeepStart = parse.GetValue(keepStart),
                Skew = parse.GetValue(skew),
                Alpha = parse.GetValue(alpha),
                Model = modelName,
                Norm = parse.GetValue(norm)!,
                Dataset = parse.GetValue(dataset) ?? (ModelCatalog.IsGrey(modelName) ? "fashion-mnist" : "cifar10"),
                Epochs = parse.GetValue(epochs),
                Batch = parse.GetValue(batch),
                Lr = parse.GetValue(lr),
                WarmupEpochs = parse.GetValue(warmup),
                Momentum = parse.GetValue(momentum),
                Nesterov = parse.GetValue(nesterov),
                QuasiGlobalMomentum = parse.GetValue(quasiGlobal),
                UpdateTracking = parse.GetValue(tracking),
                WeightDecay = parse.GetValue(weightDecay),
                Schedule = parse.GetValue(schedule)!,
                Milestones = Milestones.Parse(parse.GetValue(milestones)!, "epoch"),
                ConsensusRounds = parse.GetValue(rounds),
                ConsensusBn = parse.GetValue(roundsBn)!,
                ConsensusCompressor = parse.GetValue(roundsCompressor)!,
                ConsensusGamma = parse.GetValue(roundsGamma),
                ConsensusBits = parse.GetValue(roundsBits),
                MessageLoss = parse.GetValue(messageLoss),
                Absence = parse.GetValue(absence),
                AbsenceIterations = parse.GetValue(absenceIterations),
                Seed = parse.GetValue(seed),
                TestFiles = parse.GetValue(testFiles),
                Limit = parse.GetValue(limit),
                TestLimit = parse.GetValue(testLimit),
                EvalEvery = parse.GetValue(evalEvery),
                NoAugment = parse.GetValue(noAugment),
            };
            if (parse.GetValue(threads) is { } n)
            {
                if (n is < 1 or > 64) throw new ArgumentException($"--threads must be 1..64, got {n}");
                Workers.Count = n;
            }
            if (parse.GetResult(tuneGamma) is not null)
            {
                config.Validate();
                return GossipTuning.Run(config, GossipTuning.ParseGammas(parse.GetValue(tuneGamma)), parse.GetValue(tuneIterations));
            }
            int session = parse.GetValue(stopAfter) ?? int.MaxValue;
            if (session <= 0) throw new ArgumentException($"--stop-after must be positive, got {session}");
            bool resuming = parse.GetValue(resume), scoreOnly = parse.GetValue(evaluate);
            string? clusterId = parse.GetValue(cluster);
            var given = command.Options.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name.TrimStart('-')).ToHashSet();
            if (parse.GetValue(configFile) is { } file)
            {
                if (resuming) throw new ArgumentException("--config starts a run; --resume continues one from its folder's config.json: give one of them");
                config = GossipConfig.Read(file).With(config, given);
            }
            string folder = parse.GetValue(output) ?? Path.Combine("runs", $"gossip-{config.Method}-seed{config.Seed}");
            if (resuming) config = GossipConfig.Resumed(Path.Combine(folder, "config.json"), config, given);
            config.Validate();
            ClusterRuns.Check(clusterId, parse.GetValue(membership), parse.GetResult(gatewayPort) is { Implicit: false }, config);
            if (scoreOnly && !resuming) throw new ArgumentException("--evaluate scores a run's checkpoint: give --resume and its --out");
            // A resumed run reads its data where it did unless --data says otherwise.
            string root = ExperimentData.Root(parse.GetValue(data) ?? (resuming ? ExperimentData.RecordedRoot(folder) : null));
            if (parse.GetValue(dryRun))
            {
                RunFolder.Check(folder, resuming, parse.GetValue(force));
                return DryRun.Print(config.ToJson());
            }
            RunFolder.Prepare(folder, resuming, parse.GetValue(force));
            using var experiment = GossipExperiment.Create(config, root, folder);
            if (resuming)
            {
                experiment.Resume();
                if (scoreOnly) return Score(experiment);
            }
            string resumed = resuming ? $", resuming after epoch {experiment.Runner.CompletedEpochs}" : "";
            if (clusterId is not null)
                return ClusterRuns.Gossip(experiment, clusterId, parse.GetValue(membership), parse.GetValue(gatewayPort), folder, resumed, elsewhere => Train(experiment, session, elsewhere));
            experiment.WriteConfig();
            Console.Error.WriteLine($"nanofed: {experiment.Description}, {Workers.Count} threads{resumed}");
            return Train(experiment, session);
        }));
        return command;
    }

    /// <summary>--evaluate: the loaded state on every test set, printed and written to evaluation.csv.</summary>
    private static int Score(GossipExperiment experiment)
    {
        foreach (var t in experiment.Score())
            Console.WriteLine($"epoch {experiment.Runner.CompletedEpochs}, {t.Name}: averaged {t.AveragedAccuracy:P2}, agents {t.MeanAccuracy:P2} [{t.MinAccuracy:P2}, {t.MaxAccuracy:P2}]");
        return 0;
    }

    /// <summary>Trains the run's epochs (<paramref name="elsewhere"/>: on a cluster, <see cref="GossipExperiment.RunEpoch"/>) and its consensus phase, showing the progress.</summary>
    private static int Train(GossipExperiment experiment, int session, Func<DecentralizedRunner, (long Bytes, double Loss)>? elsewhere = null)
    {
        var runner = experiment.Runner;
        var config = experiment.Config;
        var output = new RunOutput(config, experiment.Folder, experiment.Setup.Topology, runner.Agents[0].Layout.Total, runner.IterationsPerEpoch);
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
        Console.CancelKeyPress += onCancel;
        runner.Cancellation = stop.Token;
        // A kill between an epoch's checkpoint and its metrics left the files an epoch behind the checkpoint, which holds them.
        if (runner.History.Count > 0) output.Write(runner.History);
        try
        {
            int done = 0;
            string Epoch(Action<int>? progress)
            {
                stop.Token.ThrowIfCancellationRequested();
                runner.IterationCompleted = progress;
                var m = experiment.RunEpoch(elsewhere);
                output.Write(runner.History);
                done++;
                return output.Summary(m);
            }
            bool More() => !experiment.Scsp.TrainingDone && done < session;
            if (Terminal.Interactive)
            {
                Terminal.RunProgress().Start(context =>
                {
                    while (More())
                    {
                        var task = context.AddTask($"epoch {runner.CompletedEpochs + 1}/{config.Epochs}", maxValue: runner.IterationsPerEpoch);
                        task.Description = Markup.Escape(Epoch(it => task.Value = it));
                    }
                });
            }
            else
            {
                while (More()) Console.WriteLine(Epoch(null));
            }
            if (!experiment.Scsp.TrainingDone)
            {
                Console.WriteLine($"stopped after epoch {runner.CompletedEpochs} of {config.Epochs}: {experiment.CheckpointPath} (continue with --resume)");
                return 0;
            }
            if (experiment.RunConsensusPhase() is { } c)
            {
                output.Write(runner.History);
                Console.WriteLine(output.Summary(c));
            }
            return 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
