using System.Globalization;
using NanoFed.Nets.Checkpoints;
using NanoFed.Nets.Modules;
using NanoFed.Nets.Optim;

namespace NanoFed.Nets.Training;

/// <summary>
/// A training checkpoint as one safetensors file, written atomically. Tensors: the model's state_dict under
/// PyTorch's names (F32, num_batches_tracked as I64 as PyTorch stores it), so <c>torch</c> loads the model entries
/// with <c>load_state_dict(strict=True)</c> once the reserved prefixes are dropped; SGD's momentum buffers as
/// "optimizer.momentum_buffer.&lt;parameter name&gt;" (absent before a parameter's first step); and I64 scalars
/// "trainer.epoch" (completed epochs), "trainer.batch" (batches done in the epoch in progress, 0 at an epoch end),
/// "trainer.global_step", "trainer.seed", and "trainer.rng.&lt;module&gt;.position" for every dropout layer's stream.
/// Metadata: "format", "model", "config" (JSON of <see cref="TrainingConfig"/>), "metrics" (JSON of the completed
/// epochs), and the running train sums of the epoch in progress ("train_loss_sum", "train_correct", "train_seen").
/// </summary>
public sealed class TrainingCheckpoint
{
    /// <summary>The "format" metadata value.</summary>
    public const string Format = "nanofed-train/1";

    /// <summary>Prefix of optimizer entries.</summary>
    public const string OptimizerPrefix = "optimizer.";

    /// <summary>Prefix of trainer entries.</summary>
    public const string TrainerPrefix = "trainer.";

    /// <summary>The run's configuration.</summary>
    public required TrainingConfig Config { get; init; }

    /// <summary>The model's state_dict values by name (floats; integer buffers converted exactly).</summary>
    public required Dictionary<string, Tensor> ModelState { get; init; }

    /// <summary>Momentum buffers by parameter name.</summary>
    public required Dictionary<string, Tensor> Momentum { get; init; }

    /// <summary>Dropout stream positions by module name.</summary>
    public required Dictionary<string, ulong> RngPositions { get; init; }

    /// <summary>Completed epochs.</summary>
    public int Epoch { get; init; }

    /// <summary>Batches done in the epoch in progress (0 at an epoch end).</summary>
    public int Batch { get; init; }

    /// <summary>Optimizer steps taken.</summary>
    public long GlobalStep { get; init; }

    /// <summary>Running training loss sum (per image) of the epoch in progress.</summary>
    public double TrainLossSum { get; init; }

    /// <summary>Correct training predictions of the epoch in progress.</summary>
    public long TrainCorrect { get; init; }

    /// <summary>Training images seen in the epoch in progress.</summary>
    public long TrainSeen { get; init; }

    /// <summary>Metrics of the completed epochs.</summary>
    public required List<EpochMetrics> History { get; init; }

    /// <summary>Writes the full state of a run to <paramref name="path"/> (atomically: a temporary file, then a rename).</summary>
    public static void Write(string path, TrainingConfig config, Module model, Sgd optimizer, int epoch, int batch, long globalStep,
        (double LossSum, long Correct, long Seen) partial, IEnumerable<EpochMetrics> history)
    {
        var entries = new List<SafeTensor>();
        foreach (var (name, value) in model.StateDict())
        {
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                entries.Add(SafeTensor.FromInt64(name, [(long)value.Span[0]]));
            else entries.Add(SafeTensor.FromTensor(name, value));
        }
        var parameters = model.NamedParameters();
        for (int i = 0; i < parameters.Count; i++)
        {
            if (optimizer.MomentumBuffer(i) is { } b)
                entries.Add(SafeTensor.FromTensor(OptimizerPrefix + "momentum_buffer." + parameters[i].Name, b));
        }
        entries.Add(SafeTensor.FromInt64(TrainerPrefix + "epoch", [epoch]));
        entries.Add(SafeTensor.FromInt64(TrainerPrefix + "batch", [batch]));
        entries.Add(SafeTensor.FromInt64(TrainerPrefix + "global_step", [globalStep]));
        entries.Add(SafeTensor.FromInt64(TrainerPrefix + "seed", [unchecked((long)config.Seed)]));
        foreach (var (name, dropout) in Dropouts(model))
            entries.Add(SafeTensor.FromInt64(TrainerPrefix + "rng." + name + ".position", [unchecked((long)dropout.Rng.Position)]));
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["model"] = config.Model,
            ["config"] = config.ToJson(),
            ["metrics"] = EpochMetrics.ToJson(history),
            ["train_loss_sum"] = partial.LossSum.ToString("R", CultureInfo.InvariantCulture),
            ["train_correct"] = partial.Correct.ToString(CultureInfo.InvariantCulture),
            ["train_seen"] = partial.Seen.ToString(CultureInfo.InvariantCulture),
        };
        SafeTensors.WriteRaw(path, entries, metadata);
    }

    /// <summary>Reads a checkpoint; a file that is not a NanoFed training checkpoint raises <see cref="DataFormatException"/>.</summary>
    public static TrainingCheckpoint Read(string path)
    {
        var (raw, metadata) = SafeTensors.ReadRaw(path);
        if (!metadata.TryGetValue("format", out var format) || format != Format || !metadata.TryGetValue("config", out var configJson))
            throw new DataFormatException(path, $"not a NanoFed training checkpoint (no \"format\": \"{Format}\" and \"config\" in __metadata__)");
        try
        {
            var config = TrainingConfig.FromJson(configJson);
            config.Validate();
            var model = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            var momentum = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            var positions = new Dictionary<string, ulong>(StringComparer.Ordinal);
            const string momentumPrefix = OptimizerPrefix + "momentum_buffer.";
            const string rngPrefix = TrainerPrefix + "rng.";
            foreach (var (name, entry) in raw)
            {
                if (name.StartsWith(momentumPrefix, StringComparison.Ordinal)) momentum[name[momentumPrefix.Length..]] = entry.ToTensor();
                else if (name.StartsWith(rngPrefix, StringComparison.Ordinal) && name.EndsWith(".position", StringComparison.Ordinal))
                    positions[name[rngPrefix.Length..^".position".Length]] = unchecked((ulong)Scalar(raw, name));
                else if (!name.StartsWith(TrainerPrefix, StringComparison.Ordinal) && !name.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
                    model[name] = entry.ToTensor();
            }
            return new TrainingCheckpoint
            {
                Config = config,
                ModelState = model,
                Momentum = momentum,
                RngPositions = positions,
                Epoch = checked((int)Scalar(raw, TrainerPrefix + "epoch")),
                Batch = checked((int)Scalar(raw, TrainerPrefix + "batch")),
                GlobalStep = Scalar(raw, TrainerPrefix + "global_step"),
                TrainLossSum = double.Parse(metadata["train_loss_sum"], CultureInfo.InvariantCulture),
                TrainCorrect = long.Parse(metadata["train_correct"], CultureInfo.InvariantCulture),
                TrainSeen = long.Parse(metadata["train_seen"], CultureInfo.InvariantCulture),
                History = EpochMetrics.FromJson(metadata["metrics"]),
            };
        }
        catch (Exception e) when (e is FormatException or KeyNotFoundException or ArgumentException or InvalidOperationException or OverflowException)
        {
            throw new DataFormatException(path, e.Message, e);
        }
    }

    /// <summary>Copies the model state into <paramref name="model"/> (strict: every name and shape must match).</summary>
    public void LoadModel(Module model, string path)
    {
        try
        {
            model.LoadStateDict(ModelState);
        }
        catch (ArgumentException e)
        {
            throw new DataFormatException(path, e.Message, e);
        }
    }

    /// <summary>Restores the momentum buffers of <paramref name="optimizer"/> (built over <paramref name="model"/>'s parameters) and the dropout streams.</summary>
    public void LoadOptimizerAndRng(Module model, Sgd optimizer, string path)
    {
        var parameters = model.NamedParameters();
        try
        {
            for (int i = 0; i < parameters.Count; i++)
                optimizer.SetMomentumBuffer(i, Momentum.GetValueOrDefault(parameters[i].Name));
            foreach (var (name, dropout) in Dropouts(model))
                dropout.Rng.Position = RngPositions.TryGetValue(name, out var p) ? p
                    : throw new ArgumentException($"no stream position for dropout layer {name}");
        }
        catch (ArgumentException e)
        {
            throw new DataFormatException(path, e.Message, e);
        }
    }

    /// <summary>Every dropout layer with its dotted name, depth first in registration order.</summary>
    public static List<(string Name, Dropout Layer)> Dropouts(Module model)
    {
        var list = new List<(string, Dropout)>();
        Walk(model, "", list);
        return list;

        static void Walk(Module m, string prefix, List<(string, Dropout)> list)
        {
            foreach (var (name, child) in m.Children)
            {
                if (child is Dropout d) list.Add((prefix + name, d));
                Walk(child, prefix + name + ".", list);
            }
        }
    }

    private static long Scalar(Dictionary<string, SafeTensor> raw, string name)
    {
        if (!raw.TryGetValue(name, out var t)) throw new KeyNotFoundException($"missing {name}");
        var values = t.ToInt64();
        if (values.Length != 1) throw new FormatException($"{name} must hold one value, has {values.Length}");
        return values[0];
    }
}
