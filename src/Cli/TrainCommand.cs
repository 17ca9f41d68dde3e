using NanoFed.Federation.Experiments;
using System.CommandLine;
using System.Globalization;
using NanoFed.Nets.Checkpoints;
using NanoFed.Nets.Training;
using NanoFed.Threading;
using Spectre.Console;

namespace NanoFed.Cli;

/// <summary>`nanofed train`: one run into a folder (config.json, metrics.csv/json, plot.svg, last and final checkpoints).</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        // The library's defaults are the command's, as for fl and gossip.
        var d = new TrainingConfig();
        var model = new Option<string>("--model") { Description = $"Model: {string.Join(", ", ModelCatalog.Names)}", DefaultValueFactory = _ => d.Model };
        var norm = NormOption.Create();
        var data = new Option<string?>("--data") { Description = "Data root (default: environment variable NANOFED_DATA)" };
        var dataset = new Option<string>("--dataset") { Description = "cifar10 or fashion-mnist (default: fashion-mnist for smallcnn, else cifar10)" };
        var epochs = new Option<int>("--epochs") { Description = "Epochs", DefaultValueFactory = _ => d.Epochs };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => d.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Peak (onecycle) or base learning rate", DefaultValueFactory = _ => d.Lr };
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum", DefaultValueFactory = _ => d.Momentum };
        var nesterov = new Option<bool>("--nesterov") { Description = "Nesterov momentum" };
        var weightDecay = new Option<double>("--weight-decay") { Description = "Weight decay", DefaultValueFactory = _ => d.WeightDecay };
        var schedule = new Option<string>("--schedule") { Description = "onecycle, cosine, multistep or constant (stepped per batch)", DefaultValueFactory = _ => d.Schedule };
        var warmup = new Option<double>("--warmup") { Description = "Warm-up fraction of all steps (onecycle's pct_start)", DefaultValueFactory = _ => d.Warmup };
        var seed = new Option<ulong>("--seed") { Description = "Seed of initialization, shuffling and augmentation", DefaultValueFactory = _ => d.Seed };
        var threads = new Option<int?>("--threads") { Description = "Worker threads (default: NANOFED_THREADS or the processor count)" };
        var testFiles = new Option<string?>("--test-files") { Description = "CIFAR-10 test files, comma-separated (default: test_batch_head1017.bin,test_batch_jpeg75.bin where present, else test_batch.bin)" };
        var output = new Option<string?>("--out") { Description = "Run folder (default: runs/MODEL-DATASET-seedSEED)" };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its last checkpoint (its saved config applies)" };
        var every = new Option<int>("--checkpoint-every") { Description = "Also checkpoint every N steps (0: epoch ends only)" };
        var limit = new Option<int>("--limit") { Description = "Train on the first N training images only (quick checks)" };
        var trainRange = new Option<string?>("--train-range") { Description = "Train on training images START:END only (e.g. a public split no FL client holds)" };
        var noAugment = new Option<bool>("--no-augment") { Description = "No crop and flip augmentation" };
        var stopAfter = new Option<int?>("--stop-after") { Description = "Stop after this many epochs of this session (continue later with --resume)" };
        var force = new Option<bool>("--force") { Description = "Replace the run already in --out (without it, such a folder is refused)" };
        var configFile = new Option<string?>("--config") { Description = "Run the configuration in this JSON file (a train run folder's config.json); options given too override its values" };
        var dryRun = DryRun.Create();
        var command = new Command("train", "Train a model and write a run folder")
        {
            configFile, model, norm, data, dataset, epochs, batch, lr, momentum, nesterov, weightDecay, schedule, warmup, seed, threads, testFiles, output,
            resume, every, limit, trainRange, noAugment, stopAfter, force, dryRun,
        };
        // What a resumed run may be given: where and how it runs, never what it computes.
        Option[] resumable = [data, threads, testFiles, output, resume, stopAfter, dryRun];
        command.SetAction(parse => Program.Guard(() =>
        {
            var file = parse.GetValue(configFile) is { } path ? Read(path, "--config") : null;
            // With --config, an option not given keeps the file's value; without it, the option's default.
            T Pick<T>(Option<T> option, Func<TrainingConfig, T> saved) =>
                file is not null && parse.GetResult(option) is not { Implicit: false } ? saved(file) : parse.GetValue(option)!;
            string modelName = Pick(model, c => c.Model);
            var config = new TrainingConfig
            {
                Model = modelName,
                Norm = Pick(norm, c => c.Norm),
                Dataset = parse.GetValue(dataset) ?? file?.Dataset ?? (ModelCatalog.IsGrey(modelName) ? "fashion-mnist" : "cifar10"),
                Epochs = Pick(epochs, c => c.Epochs),
                BatchSize = Pick(batch, c => c.BatchSize),
                Lr = Pick(lr, c => c.Lr),
                Momentum = Pick(momentum, c => c.Momentum),
                Nesterov = Pick(nesterov, c => c.Nesterov),
                WeightDecay = Pick(weightDecay, c => c.WeightDecay),
                Schedule = Pick(schedule, c => c.Schedule),
                Warmup = Pick(warmup, c => c.Warmup),
                Seed = Pick(seed, c => c.Seed),
                CheckpointEvery = Pick(every, c => c.CheckpointEvery),
                TrainLimit = Pick(limit, c => c.TrainLimit),
                TrainRange = parse.GetValue(trainRange) is { } range ? ExperimentData.Range("--train-range", range) : file?.TrainRange,
                Augment = !parse.GetValue(noAugment) && (file?.Augment ?? true),
                TestFiles = file?.TestFiles ?? "",
                Data = file?.Data ?? "",
            };
            config.Validate();
            ExperimentData.CheckModelFits(config.Model, config.Dataset);
            if (parse.GetValue(threads) is { } n)
            {
                if (n is < 1 or > 64) throw new ArgumentException($"--threads must be 1..64, got {n}");
                Workers.Count = n;
            }
            string folder = parse.GetValue(output) ?? Path.Combine("runs", $"{config.Model}-{config.Dataset}-seed{config.Seed}");
            int session = parse.GetValue(stopAfter) ?? int.MaxValue;
            if (session <= 0) throw new ArgumentException($"--stop-after must be positive, got {session}");
            bool resuming = parse.GetValue(resume);
            if (resuming)
            {
                string[] changed = command.Options.Except(resumable).Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToArray();
                if (changed.Length > 0)
                    throw new ArgumentException($"--resume continues {folder} with its saved configuration: drop {string.Join(", ", changed)}");
            }
            // A resumed run reads its data where it did unless --data says otherwise.
            var saved = resuming ? Read(Path.Combine(folder, "config.json"), "--resume") : null;
            string root = ExperimentData.Root(parse.GetValue(data) ?? ((saved ?? config).Data is { Length: > 0 } recorded ? recorded : null));
            if (parse.GetValue(dryRun))
            {
                RunFolder.Check(folder, resuming, parse.GetValue(force));
                return DryRun.Print(Resolved(saved ?? config, root, parse.GetValue(testFiles)).ToJson());
            }
            RunFolder.Prepare(folder, resuming, parse.GetValue(force));
            return Run(config, root, parse.GetValue(testFiles), folder, resuming, session);
        }));
        return command;
    }

    /// <summary>A train configuration file (a run folder's config.json), for <paramref name="option"/>.</summary>
    private static TrainingConfig Read(string path, string option)
    {
        if (!File.Exists(path)) throw new ArgumentException($"{option}: no such file {path}");
        try
        {
            return TrainingConfig.FromJson(File.ReadAllText(path));
        }
        catch (FormatException e)
        {
            throw new FormatException($"{path}: {e.Message}", e);
        }
    }

    /// <summary><paramref name="config"/> as the run records it: its test files resolved under <paramref name="root"/> (--test-files first) and the data root.</summary>
    private static TrainingConfig Resolved(TrainingConfig config, string root, string? testFiles)
    {
        testFiles = string.IsNullOrEmpty(testFiles) ? config.TestFiles : testFiles;
        config.TestFiles = string.Join(",", ExperimentData.TestFileNames(config.Dataset, root, testFiles));
        config.Data = Path.GetFullPath(root);
        return config;
    }

    private static int Run(TrainingConfig config, string root, string? testFiles, string folder, bool resume, int session)
    {
        string last = Path.Combine(folder, "last.safetensors");
        if (resume)
        {
            if (!File.Exists(last)) throw new ArgumentException($"--resume: no checkpoint {last}");
            config = TrainingCheckpoint.Read(last).Config;
        }
        config = Resolved(config, root, testFiles);
        var train = ExperimentData.Train(config.Dataset, root);
        var tests = ExperimentData.Tests(config.Dataset, root, config.TestFiles);
        using var trainer = resume ? Trainer.Resume(last, train, tests) : new Trainer(config, train, tests);
        trainer.CheckpointPath = last;
        if (!resume) AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), config.ToJson() + "\n");
        // A kill between the checkpoint's rename and the metrics' write left the files an epoch behind the checkpoint.
        if (trainer.History.Count > 0) WriteMetrics(trainer, folder);
        Console.Error.WriteLine($"nanofed: {config.Model} ({trainer.Model.ParameterCount():N0} parameters) on {config.Dataset}: " +
            $"{trainer.TrainCount} training images, {trainer.BatchesPerEpoch} batches/epoch, tests {string.Join(", ", tests.Select(t => $"{t.Name} ({t.Data.Count})"))}, " +
            $"{Workers.Count} threads" + (resume ? $", resuming after epoch {trainer.CompletedEpochs} step {trainer.GlobalStep}" : ""));

        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            if (Terminal.Interactive) WithProgress(trainer, folder, session, stop.Token);
            else foreach (var m in trainer.Run(stop.Token).Take(session)) Console.WriteLine(EpochDone(trainer, folder, m));
        }
        catch (DivergenceException e)
        {
            throw new DivergenceException($"{folder}: {e.Message}; {(File.Exists(last) ? $"the last good state is {last}" : "no checkpoint was written")}");
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        if (trainer.CompletedEpochs < trainer.Config.Epochs)
        {
            Console.WriteLine($"stopped after epoch {trainer.CompletedEpochs} of {trainer.Config.Epochs}: {last} (continue with --resume)");
            return 0;
        }
        string final = Path.Combine(folder, "final.safetensors");
        trainer.WriteCheckpoint(final);
        Console.WriteLine($"final checkpoint: {final}");
        return 0;
    }

    private static void WithProgress(Trainer trainer, string folder, int session, CancellationToken cancellation)
    {
        Terminal.RunProgress().Start(context =>
        {
            ProgressTask? task = null;
            trainer.StepCompleted = p =>
            {
                task ??= context.AddTask($"epoch {p.Epoch}/{trainer.Config.Epochs}", maxValue: p.BatchesPerEpoch);
                task.Value = p.Batch;
                task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                    $"epoch {p.Epoch}/{trainer.Config.Epochs} loss {p.Loss:F4} acc {p.Accuracy:P1} lr {Format.Lr(p.Lr)} {p.ImagesPerSecond:F0} img/s"));
            };
            foreach (var m in trainer.Run(cancellation).Take(session))
            {
                task = null;
                AnsiConsole.WriteLine(EpochDone(trainer, folder, m));
            }
        });
    }

    /// <summary>Writes the run folder's metrics and plot; returns the epoch's summary line.</summary>
    private static string EpochDone(Trainer trainer, string folder, EpochMetrics m)
    {
        WriteMetrics(trainer, folder);
        string tests = string.Join(", ", m.Tests.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Name} loss {t.Loss:F4} acc {t.Accuracy:P2}")));
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {m.Epoch}/{trainer.Config.Epochs}: lr {Format.Lr(m.Lr)}, train loss {m.TrainLoss:F4} acc {m.TrainAccuracy:P2}, {tests}, {m.Seconds:F1} s, {m.ImagesPerSecond:F0} img/s");
    }

    /// <summary>Writes metrics.csv, metrics.json and plot.svg from the trainer's whole history.</summary>
    private static void WriteMetrics(Trainer trainer, string folder)
    {
        var history = trainer.History;
        AtomicFile.WriteAllText(Path.Combine(folder, "metrics.csv"), EpochMetrics.ToCsv(history));
        AtomicFile.WriteAllText(Path.Combine(folder, "metrics.json"), EpochMetrics.ToJson(history, indented: true) + "\n");
        MetricsPlot.Write(Path.Combine(folder, "plot.svg"), history, $"{trainer.Config.Model} on {trainer.Config.Dataset}", Setting(trainer.Config));
    }

    /// <summary>The run's setting for the plot's subtitle: images used, batch, schedule and peak learning rate.</summary>
    private static string Setting(TrainingConfig c)
    {
        string images = c.TrainRange is var (start, end) ? $"training images {start}:{end}" : c.TrainLimit > 0 ? $"first {c.TrainLimit} training images" : "all training images";
        return $"{c.Dataset}, {images}, batch {c.BatchSize}, {c.Schedule} schedule to lr {Format.Lr(c.Lr)}{(c.Nesterov ? ", Nesterov" : "")}";
    }
}
