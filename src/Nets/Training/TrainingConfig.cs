using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace NanoFed.Nets.Training;

/// <summary>
/// Everything that defines a training run (what `nanofed train` records in config.json and in every checkpoint's
/// __metadata__): the model and dataset by name, the optimizer, the schedule and the seed. Every random draw of a
/// run is a function of <see cref="Seed"/>: model initialization uses <c>RngStream(Seed, 0)</c>, shuffling and
/// augmentation <c>PhiloxEpochRandom(Seed, 1)</c>, keyed by (epoch, index).
/// </summary>
public sealed class TrainingConfig
{
    /// <summary>Model name, one of <see cref="ModelCatalog.Names"/>.</summary>
    public string Model { get; set; } = "resnet20";

    /// <summary>
    /// The normalization after every convolution, as --norm writes it ("batch", "group[:G]", "evonorm[:G]"); "" for the
    /// model's own (see <see cref="ModelCatalog.ParseNorm"/>).
    /// </summary>
    public string Norm { get; set; } = "";

    /// <summary>Dataset name, one of <see cref="DatasetCatalog.Names"/>.</summary>
    public string Dataset { get; set; } = "cifar10";

    /// <summary>Number of epochs (the schedule spans them all); `nanofed train`'s default, as every default here.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Images per training batch (the last batch of an epoch may be smaller, as PyTorch's drop_last=False).</summary>
    public int BatchSize { get; set; } = 128;

    /// <summary>Peak (one-cycle) or base learning rate.</summary>
    public double Lr { get; set; } = 0.1;

    /// <summary>SGD momentum (kept constant, also under one-cycle).</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; set; }

    /// <summary>L2 weight decay added to the gradient.</summary>
    public double WeightDecay { get; set; } = 5e-4;

    /// <summary>"onecycle", "cosine", "multistep" or "constant" (stepped per batch).</summary>
    public string Schedule { get; set; } = "onecycle";

    /// <summary>
    /// Warm-up as a fraction of all steps: one-cycle's pct_start; for cosine, multistep and constant, a linear
    /// warm-up from lr/10 over that fraction (0 for none).
    /// </summary>
    public double Warmup { get; set; } = 0.15;

    /// <summary>The run's seed.</summary>
    public ulong Seed { get; set; }

    /// <summary>Crop and flip augmentation of the training images (CIFAR's recipe; default on for CIFAR-10 only).</summary>
    public bool Augment { get; set; } = true;

    /// <summary>Also write the checkpoint every this many steps (0: only at epoch ends).</summary>
    public int CheckpointEvery { get; set; }

    /// <summary>Train on the first this many training images only (0: all), for quick checks.</summary>
    public int TrainLimit { get; set; }

    /// <summary>
    /// Train on training images [Start, End) only (null: all), taken before <see cref="TrainLimit"/>, shuffling and
    /// augmentation; for pre-training on a public split that no federated client holds.
    /// </summary>
    public (int Start, int End)? TrainRange { get; set; }

    /// <summary>The test files evaluated after each epoch, comma-separated (CIFAR-10; empty: the dataset's default).</summary>
    public string TestFiles { get; set; } = "";

    /// <summary>
    /// The data root the run read (a full path; "" when not recorded), so that a resumed run finds its data without
    /// --data. Where the data lives, not what the run computes: a resumed run may read it elsewhere.
    /// </summary>
    public string Data { get; set; } = "";

    /// <summary>Checks every value; throws <see cref="ArgumentException"/> naming the option at fault.</summary>
    public void Validate()
    {
        ModelCatalog.ParseNorm(Model, Norm);
        DatasetCatalog.Check(Dataset);
        if (Epochs <= 0) throw new ArgumentException($"--epochs must be positive, got {Epochs}");
        if (BatchSize <= 0) throw new ArgumentException($"--batch must be positive, got {BatchSize}");
        if (!(Lr > 0) || !double.IsFinite(Lr)) throw new ArgumentException($"--lr must be positive, got {Lr}");
        if (!(Momentum >= 0 && Momentum < 1)) throw new ArgumentException($"--momentum must be in [0, 1), got {Momentum}");
        if (Nesterov && Momentum == 0) throw new ArgumentException("--nesterov needs --momentum > 0");
        if (WeightDecay < 0 || !double.IsFinite(WeightDecay)) throw new ArgumentException($"--weight-decay must be non-negative, got {WeightDecay}");
        if (Schedule is not ("onecycle" or "cosine" or "multistep" or "constant"))
            throw new ArgumentException($"--schedule must be onecycle, cosine, multistep or constant, got '{Schedule}'");
        if (!(Warmup >= 0 && Warmup < 1)) throw new ArgumentException($"--warmup must be in [0, 1), got {Warmup}");
        if (CheckpointEvery < 0) throw new ArgumentException($"--checkpoint-every must be non-negative, got {CheckpointEvery}");
        if (TrainLimit < 0) throw new ArgumentException($"--limit must be non-negative, got {TrainLimit}");
        if (TrainRange is var (start, end) && (start < 0 || end <= start))
            throw new ArgumentException($"--train-range must be START:END with 0 <= START < END, got {start}:{end}");
    }

    /// <summary>The configuration as indented JSON.</summary>
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("model", Model);
            // Written only when chosen, so the configurations of runs with the model's own norm read as before.
            if (Norm.Length > 0) json.WriteString("norm", Norm);
            json.WriteString("dataset", Dataset);
            json.WriteNumber("epochs", Epochs);
            json.WriteNumber("batch", BatchSize);
            json.WriteNumber("lr", Lr);
            json.WriteNumber("momentum", Momentum);
            json.WriteBoolean("nesterov", Nesterov);
            json.WriteNumber("weight-decay", WeightDecay);
            json.WriteString("schedule", Schedule);
            json.WriteNumber("warmup", Warmup);
            json.WriteString("seed", Seed.ToString(CultureInfo.InvariantCulture));
            json.WriteBoolean("augment", Augment);
            json.WriteNumber("checkpoint-every", CheckpointEvery);
            json.WriteNumber("limit", TrainLimit);
            if (TrainRange is var (start, end)) json.WriteString("train-range", string.Create(CultureInfo.InvariantCulture, $"{start}:{end}"));
            else json.WriteNull("train-range");
            json.WriteString("test-files", TestFiles);
            json.WriteString("data", Data);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Parses "START:END" (two non-negative integers); throws <see cref="FormatException"/> otherwise.</summary>
    public static (int Start, int End) ParseRange(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split(':');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int start)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int end))
            throw new FormatException($"'{text}' is not START:END (two non-negative integers)");
        return (start, end);
    }

    /// <summary>
    /// Parses <see cref="ToJson"/>'s output, and the snake_case keys written before the run commands shared one key
    /// style (weight_decay, checkpoint_every, train_range, test_files); throws <see cref="FormatException"/> on a
    /// missing or mistyped field.
    /// </summary>
    public static TrainingConfig FromJson(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var r = doc.RootElement;
            return new TrainingConfig
            {
                Model = r.GetProperty("model").GetString()!,
                Norm = r.TryGetProperty("norm", out var norm) ? norm.GetString() ?? "" : "",
                Dataset = r.GetProperty("dataset").GetString()!,
                Epochs = r.GetProperty("epochs").GetInt32(),
                BatchSize = r.GetProperty("batch").GetInt32(),
                Lr = r.GetProperty("lr").GetDouble(),
                Momentum = r.GetProperty("momentum").GetDouble(),
                Nesterov = r.GetProperty("nesterov").GetBoolean(),
                WeightDecay = Key(r, "weight-decay").GetDouble(),
                Schedule = r.GetProperty("schedule").GetString()!,
                Warmup = r.GetProperty("warmup").GetDouble(),
                Seed = ulong.Parse(r.GetProperty("seed").GetString()!, CultureInfo.InvariantCulture),
                Augment = r.GetProperty("augment").GetBoolean(),
                CheckpointEvery = Key(r, "checkpoint-every").GetInt32(),
                TrainLimit = r.GetProperty("limit").GetInt32(),
                TestFiles = TryKey(r, "test-files", out var files) ? files.GetString() ?? "" : "",
                TrainRange = TryKey(r, "train-range", out var range) && range.GetString() is { } value ? ParseRange(value) : null,
                Data = r.TryGetProperty("data", out var data) ? data.GetString() ?? "" : "",
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new FormatException($"malformed training config ({e.Message})", e);
        }
    }

    private static JsonElement Key(JsonElement r, string name) =>
        TryKey(r, name, out var value) ? value : throw new KeyNotFoundException($"no key '{name}'");

    private static bool TryKey(JsonElement r, string name, out JsonElement value) =>
        r.TryGetProperty(name, out value) || r.TryGetProperty(name.Replace('-', '_'), out value);
}
