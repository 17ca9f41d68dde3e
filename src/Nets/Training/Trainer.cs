using System.Diagnostics;
using NanoFed.Autograd;
using NanoFed.Nets.Data;
using NanoFed.Nets.Modules;
using NanoFed.Nets.Optim;

namespace NanoFed.Nets.Training;

/// <summary>Progress of the step just taken, for progress displays.</summary>
/// <param name="Epoch">The epoch, counting from 1.</param>
/// <param name="Batch">Batches done in the epoch (1 after the first).</param>
/// <param name="BatchesPerEpoch">Batches in an epoch.</param>
/// <param name="Lr">Learning rate of the step.</param>
/// <param name="Loss">Mean training loss so far in the epoch.</param>
/// <param name="Accuracy">Training accuracy so far in the epoch.</param>
/// <param name="ImagesPerSecond">Training throughput so far in the epoch (this session's steps only).</param>
public readonly record struct StepProgress(int Epoch, int Batch, int BatchesPerEpoch, double Lr, double Loss, double Accuracy, double ImagesPerSecond);

/// <summary>
/// Supervised image-classification training in a few lines: a model from <see cref="ModelCatalog"/>, SGD (momentum,
/// Nesterov, weight decay), a per-step schedule, a shuffled and augmented <see cref="BatchLoader"/> and
/// cross-entropy; after every epoch, evaluation on each test set and (with <see cref="CheckpointPath"/>) a
/// checkpoint. Every random draw is a function of (seed, epoch, index), so a run resumed from a checkpoint
/// (<see cref="Resume"/>) ends with the same weights, bit for bit, as one never interrupted.
/// <code>
/// using var trainer = new Trainer(config, Cifar10.ReadTrain(root), [("test", Cifar10.ReadTest(root, "test_batch_head1017.bin"))]);
/// foreach (var m in trainer.Run()) Console.WriteLine($"{m.Epoch}: {m.Tests[0].Accuracy:P2}");
/// </code>
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly ImageDataset _train;
    private readonly IReadOnlyList<(string Name, ImageDataset Data)> _tests;
    private readonly Normalization _normalization;
    private readonly BatchLoader _loader;
    private readonly ILrSchedule _schedule;
    private readonly List<EpochMetrics> _history = [];
    private readonly Tape _tape = new();
    private readonly List<(string Name, Tensor Value)> _state;
    private int _batch;
    private double _lossSum;
    private long _correct, _seen;

    /// <summary>A fresh run of <paramref name="config"/> on <paramref name="train"/>, evaluated on <paramref name="tests"/>.</summary>
    public Trainer(TrainingConfig config, ImageDataset train, IReadOnlyList<(string Name, ImageDataset Data)> tests)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(tests);
        config.Validate();
        Config = config;
        if (config.TrainRange is var (start, end))
        {
            if (end > train.Count)
                throw new ArgumentException($"--train-range {start}:{end} reaches past the {train.Count} training images");
            train = train.Subset(Enumerable.Range(start, end - start).ToArray());
        }
        if (config.TrainLimit > 0 && config.TrainLimit < train.Count)
            train = train.Subset(Enumerable.Range(0, config.TrainLimit).ToArray());
        _train = train;
        _tests = tests;
        Model = ModelCatalog.Create(config.Model, config.Seed, train.Classes, ModelCatalog.ParseNorm(config.Model, config.Norm));
        _state = Model.StateDict();
        Optimizer = new Sgd(Model.Parameters(), config.Lr, config.Momentum, weightDecay: config.WeightDecay, nesterov: config.Nesterov);
        _normalization = DatasetCatalog.NormalizationOf(config.Dataset);
        var augmentation = config.Augment ? DatasetCatalog.AugmentationOf(config.Dataset) : null;
        _loader = new BatchLoader(train, config.BatchSize, _normalization, augmentation, shuffle: true,
            random: new PhiloxEpochRandom(config.Seed, 1));
        _schedule = CreateSchedule(config, _loader.BatchesPerEpoch);
    }

    /// <summary>
    /// Continues the run saved in <paramref name="checkpointPath"/> on the same data: model, momentum buffers,
    /// dropout streams, epoch, step and metrics are restored; an epoch interrupted mid-way continues at its next batch.
    /// </summary>
    public static Trainer Resume(string checkpointPath, ImageDataset train, IReadOnlyList<(string Name, ImageDataset Data)> tests)
    {
        var checkpoint = TrainingCheckpoint.Read(checkpointPath);
        var trainer = new Trainer(checkpoint.Config, train, tests);
        try
        {
            checkpoint.LoadModel(trainer.Model, checkpointPath);
            checkpoint.LoadOptimizerAndRng(trainer.Model, trainer.Optimizer, checkpointPath);
            if (checkpoint.Batch > trainer.BatchesPerEpoch || checkpoint.GlobalStep != (long)checkpoint.Epoch * trainer.BatchesPerEpoch + checkpoint.Batch)
                throw new DataFormatException(checkpointPath,
                    $"epoch {checkpoint.Epoch}, batch {checkpoint.Batch} and step {checkpoint.GlobalStep} do not fit {trainer.BatchesPerEpoch} batches per epoch (different data?)");
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
        trainer.CompletedEpochs = checkpoint.Epoch;
        trainer._batch = checkpoint.Batch;
        trainer.GlobalStep = checkpoint.GlobalStep;
        trainer._lossSum = checkpoint.TrainLossSum;
        trainer._correct = checkpoint.TrainCorrect;
        trainer._seen = checkpoint.TrainSeen;
        trainer._history.AddRange(checkpoint.History);
        return trainer;
    }

    /// <summary>The run's configuration.</summary>
    public TrainingConfig Config { get; }

    /// <summary>The model being trained.</summary>
    public Sequential Model { get; }

    /// <summary>The optimizer.</summary>
    public Sgd Optimizer { get; }

    /// <summary>Epochs completed.</summary>
    public int CompletedEpochs { get; private set; }

    /// <summary>Optimizer steps taken.</summary>
    public long GlobalStep { get; private set; }

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch => _loader.BatchesPerEpoch;

    /// <summary>Training images per epoch.</summary>
    public int TrainCount => _train.Count;

    /// <summary>Metrics of the completed epochs.</summary>
    public IReadOnlyList<EpochMetrics> History => _history;

    /// <summary>Where checkpoints go (each epoch end, and every <see cref="TrainingConfig.CheckpointEvery"/> steps); null for none.</summary>
    public string? CheckpointPath { get; set; }

    /// <summary>Called after every step (on the training thread).</summary>
    public Action<StepProgress>? StepCompleted { get; set; }

    /// <summary>Batch size of evaluation.</summary>
    public int EvalBatchSize { get; set; } = 500;

    /// <summary>The learning rate of step <paramref name="step"/>.</summary>
    public double LrAt(long step) => _schedule.LrAt((int)Math.Min(step, (long)Config.Epochs * BatchesPerEpoch));

    /// <summary>Runs the remaining epochs, yielding each one's metrics as it ends. Cancellation stops between steps.</summary>
    public IEnumerable<EpochMetrics> Run(CancellationToken cancellation = default)
    {
        while (CompletedEpochs < Config.Epochs) yield return RunEpoch(cancellation);
    }

    /// <summary>Trains the next epoch (or the rest of an interrupted one), evaluates, checkpoints, and returns its metrics.</summary>
    public EpochMetrics RunEpoch(CancellationToken cancellation = default)
    {
        if (CompletedEpochs >= Config.Epochs) throw new InvalidOperationException($"all {Config.Epochs} epochs are done");
        int epoch = CompletedEpochs;
        var clock = Stopwatch.StartNew();
        long sessionImages = 0;
        Model.Train();
        foreach (var batch in _loader.Epoch(epoch))
        {
            if (batch.Index < _batch) continue; // trained on before the interruption (batches are a function of (seed, epoch, index))
            cancellation.ThrowIfCancellationRequested();
            double lr = Step(batch);
            sessionImages += batch.Count;
            _batch++;
            StepCompleted?.Invoke(new StepProgress(epoch + 1, _batch, BatchesPerEpoch, lr, _lossSum / _seen, (double)_correct / _seen,
                sessionImages / clock.Elapsed.TotalSeconds));
            if (Config.CheckpointEvery > 0 && GlobalStep % Config.CheckpointEvery == 0 && _batch < BatchesPerEpoch) WriteCheckpoint();
        }
        double trainSeconds = clock.Elapsed.TotalSeconds;
        var tests = _tests.Select(t => Evaluator.Evaluate(Model, t.Data, _normalization, t.Name, EvalBatchSize)).ToList();
        var metrics = new EpochMetrics(epoch + 1, LrAt(GlobalStep - 1), _lossSum / Math.Max(1, _seen), (double)_correct / Math.Max(1, _seen),
            tests, clock.Elapsed.TotalSeconds, sessionImages / trainSeconds);
        _history.Add(metrics);
        CompletedEpochs++;
        _batch = 0;
        (_lossSum, _correct, _seen) = (0, 0, 0);
        WriteCheckpoint();
        return metrics;
    }

    /// <summary>Evaluates the model on every test set now (eval mode, no recording).</summary>
    public List<TestMetrics> Evaluate() =>
        _tests.Select(t => Evaluator.Evaluate(Model, t.Data, _normalization, t.Name, EvalBatchSize)).ToList();

    /// <summary>Writes the current state to <paramref name="path"/> (default <see cref="CheckpointPath"/>; nothing when both are null).</summary>
    public void WriteCheckpoint(string? path = null)
    {
        path ??= CheckpointPath;
        if (path is null) return;
        TrainingCheckpoint.Write(path, Config, Model, Optimizer, CompletedEpochs, _batch, GlobalStep, (_lossSum, _correct, _seen), _history);
    }

    /// <summary>One SGD step on <paramref name="batch"/>; returns its learning rate.</summary>
    private double Step(Batch batch)
    {
        double lr = LrAt(GlobalStep);
        Optimizer.Lr = lr;
        var (logits, loss) = SupervisedStep.Loss(_tape, Model, batch.Images, batch.Labels);
        if (Divergence.Loss("the training loss", loss.Data.Span[0]) is { } bad) throw new DivergenceException($"diverged at {Where()}: {bad}");
        _lossSum += (double)loss.Data.Span[0] * batch.Count;
        _correct += Evaluator.CountCorrect(logits.Data.Span, batch.Labels);
        _seen += batch.Count;
        SupervisedStep.Update(_tape, Optimizer, loss);
        if (Divergence.NonFinite(_state) is { } what) throw new DivergenceException($"diverged at {Where()}: {what}");
        GlobalStep++;
        return lr;
    }

    private string Where() => $"epoch {CompletedEpochs + 1}, batch {_batch + 1} of {BatchesPerEpoch} (step {GlobalStep + 1})";

    /// <summary>
    /// The per-step schedule of <paramref name="config"/> over epochs × <paramref name="batchesPerEpoch"/> steps:
    /// onecycle (pct_start = warmup, PyTorch's defaults otherwise), cosine to 0 (starting after the warm-up), multistep
    /// (÷10 at 50% and 75% of all steps), or constant; the last three behind a linear warm-up from lr/10 over the
    /// warm-up fraction (as LinearLR(start_factor=0.1) chained with them).
    /// </summary>
    public static ILrSchedule CreateSchedule(TrainingConfig config, int batchesPerEpoch)
    {
        ArgumentNullException.ThrowIfNull(config);
        int total = Math.Max(1, config.Epochs * batchesPerEpoch);
        int warmup = (int)Math.Round(config.Warmup * total);
        ILrSchedule inner = config.Schedule switch
        {
            "onecycle" => new OneCycleLr(config.Lr, total, pctStart: config.Warmup),
            "cosine" => new Delayed(new CosineLr(config.Lr, Math.Max(1, total - warmup)), warmup),
            "multistep" => new MultiStepLr(config.Lr, [total / 2, total * 3 / 4]),
            "constant" => new ConstantLr(config.Lr),
            _ => throw new ArgumentException($"--schedule: unknown schedule '{config.Schedule}'"),
        };
        return config.Schedule != "onecycle" && warmup > 0 ? new LinearWarmup(inner, warmup, 0.1) : inner;
    }

    /// <summary>An inner schedule that starts <paramref name="delay"/> steps late (held at its step-0 value until then).</summary>
    private sealed class Delayed(ILrSchedule inner, int delay) : ILrSchedule
    {
        public double LrAt(int step) => inner.LrAt(Math.Max(0, step - delay));
    }

    /// <summary>Stops the loader's thread and returns the tape's buffers.</summary>
    public void Dispose()
    {
        _tape.Reset();
        _loader.Dispose();
    }
}
