using NanoFed.Federation.Aggregation;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using NanoFed.Federation.Partitioning;
using NanoFed.Nets.Optim;
using NanoFed.Nets.Training;

namespace NanoFed.Federation.Experiments;

/// <summary>
/// One federated run's configuration: every option of <c>nanofed fl</c> (and of <c>nanofed server</c>), read from and
/// written to JSON whose keys are the option names without their dashes (kebab-case: <c>per-round</c>,
/// <c>samples-per-client</c>, <c>system.uplink-bytes-per-second</c>). A run folder's config.json is this record, so it
/// runs again with <c>--config</c>. <see cref="Validate"/> is the one place options are checked; its errors name the option.
/// </summary>
public sealed record FlConfig
{
    /// <summary>The method names <see cref="FlMethods.Create"/> knows.</summary>
    public static readonly string[] Methods = ["fedavg", "splitfed", "localloss", "fedgkt", "ecofed"];

    /// <summary>The learning-rate schedules over rounds: "constant" and those of gossip (<see cref="Decentralized.GossipSchedule"/>), a round for an epoch.</summary>
    public static readonly string[] Schedules = ["constant", .. Decentralized.GossipSchedule.Names];

    /// <summary>The split names.</summary>
    public static readonly string[] Splits = ["iid", "shards", "dirichlet"];

    /// <summary>Method: one of <see cref="Methods"/>.</summary>
    public string Method { get; init; } = "fedavg";

    /// <summary>Model of the model catalog.</summary>
    public string Model { get; init; } = "vgg11-ecofed";

    /// <summary>Normalisation layer of the model ("" for its default).</summary>
    public string Norm { get; init; } = "";

    /// <summary>cifar10 or fashion-mnist; null picks the one the model takes (<see cref="Resolve"/>).</summary>
    public string? Dataset { get; init; }

    /// <summary>Clients N.</summary>
    public int Clients { get; init; } = 100;

    /// <summary>Clients sampled per round K.</summary>
    public int PerRound { get; init; } = 20;

    /// <summary>Rounds.</summary>
    public int Rounds { get; init; } = 100;

    /// <summary>iid, shards or dirichlet.</summary>
    public string Split { get; init; } = "iid";

    /// <summary>Shards per client (shards split).</summary>
    public int ShardsPerClient { get; init; } = 5;

    /// <summary>Images per shard; null for samples-per-client / shards-per-client.</summary>
    public int? ShardSize { get; init; }

    /// <summary>Dirichlet concentration (dirichlet split).</summary>
    public double Alpha { get; init; } = 0.5;

    /// <summary>Training images per client (dirichlet: on average).</summary>
    public int SamplesPerClient { get; init; } = 500;

    /// <summary>START:END of the training images clients draw from; null for all.</summary>
    public string? ClientPool { get; init; }

    /// <summary>Local epochs E per round.</summary>
    public int LocalEpochs { get; init; } = 1;

    /// <summary>Local batch size B.</summary>
    public int Batch { get; init; } = 10;

    /// <summary>SGD learning rate.</summary>
    public double Lr { get; init; } = 0.01;

    /// <summary>SGD momentum (reset every round).</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; init; }

    /// <summary>The learning rate over rounds (<see cref="Schedules"/>; <see cref="LrSchedule"/>).</summary>
    public string Schedule { get; init; } = "constant";

    /// <summary>Rounds of warm-up: at lr/10 for constant, multistep and cosine; one-cycle's rise (0: its default 30%).</summary>
    public int WarmupRounds { get; init; }

    /// <summary>Rounds after which multistep drops the learning rate x0.1.</summary>
    public int[] Milestones { get; init; } = [];

    /// <summary>Weight decay.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Seed of initialization, partition, sampling and local training.</summary>
    public ulong Seed { get; init; }

    /// <summary>Layers on the device (split methods).</summary>
    public int SplitIndex { get; init; } = 8;

    /// <summary>EcoFed activation bits.</summary>
    public int Bits { get; init; } = 8;

    /// <summary>EcoFed: one quantization scale per channel.</summary>
    public bool PerChannel { get; init; }

    /// <summary>EcoFed replay period P.</summary>
    public int Period { get; init; } = 2;

    /// <summary>The server's aggregation rule for fedavg and ecofed (<see cref="Aggregators.Names"/>).</summary>
    public string Aggregator { get; init; } = "mean";

    /// <summary>EcoFed: pre-trained front (a safetensors checkpoint); null for none.</summary>
    public string? Front { get; init; }

    /// <summary>CIFAR-10 test files the server evaluates, comma-separated, the primary one first; null for the defaults (as train's).</summary>
    public string? TestFiles { get; init; }

    /// <summary>Evaluate the secondary test sets every this many rounds and on the last.</summary>
    public int EvalEvery { get; init; } = 1;

    /// <summary>How many sampled clients must answer for a round to count; null for all of them.</summary>
    public int? Quorum { get; init; }

    /// <summary>Fault injection: the probability that a sampled device drops out of a round (<see cref="Fl.FlRunner.Dropout"/>); 0 for none.</summary>
    public double Dropout { get; init; }

    /// <summary>The simulated system of the clock.</summary>
    public Systems.SystemModel System { get; init; } = Systems.SystemModel.Default;

    /// <summary>The data set the run uses: <see cref="Dataset"/>, or the one <see cref="Model"/> takes.</summary>
    [JsonIgnore]
    public string ResolvedDataset => Dataset ?? (ModelCatalog.IsGrey(Model) ? "fashion-mnist" : "cifar10");

    /// <summary>The configuration with <see cref="Dataset"/> filled in, as a run folder records it.</summary>
    public FlConfig Resolve() => this with { Dataset = ResolvedDataset };

    /// <summary>Checks every option against the others; throws <see cref="ArgumentException"/> naming the option.</summary>
    public void Validate()
    {
        if (!Methods.Contains(Method)) throw new ArgumentException($"--method must be one of {string.Join(", ", Methods)}, got '{Method}'");
        ModelCatalog.ParseNorm(Model, Norm);
        DatasetCatalog.Check(ResolvedDataset);
        ExperimentData.CheckModelFits(Model, ResolvedDataset);
        if (!Splits.Contains(Split)) throw new ArgumentException($"--split must be one of {string.Join(", ", Splits)}, got '{Split}'");
        Positive(Clients, "--clients");
        Positive(Rounds, "--rounds");
        Positive(SamplesPerClient, "--samples-per-client");
        Positive(LocalEpochs, "--local-epochs");
        Positive(Batch, "--batch");
        Positive(EvalEvery, "--eval-every");
        if (TestFiles is not null && ResolvedDataset != "cifar10") throw new ArgumentException("--test-files applies to cifar10 only");
        if (PerRound < 1 || PerRound > Clients) throw new ArgumentException($"--per-round must be 1..--clients ({Clients}), got {PerRound}");
        if (Quorum is { } q && (q < 1 || q > PerRound)) throw new ArgumentException($"--quorum must be 1..--per-round ({PerRound}), got {q}");
        if (!(Dropout >= 0 && Dropout <= 1)) throw new ArgumentException($"--dropout must be a probability in [0, 1], got {Dropout}");
        Positive(ShardsPerClient, "--shards-per-client");
        if (Split == "shards" && SamplesPerClient % ShardsPerClient != 0)
            throw new ArgumentException($"--samples-per-client {SamplesPerClient} does not cut into --shards-per-client {ShardsPerClient} equal shards");
        if (ShardSize is { } size && size * ShardsPerClient != SamplesPerClient)
            throw new ArgumentException($"--shard-size {size} x --shards-per-client {ShardsPerClient} must equal --samples-per-client {SamplesPerClient}");
        if (!(Alpha > 0) || !double.IsFinite(Alpha)) throw new ArgumentException($"--alpha must be positive, got {Alpha}");
        if (Pool() is var (start, end) && (start < 0 || end <= start))
            throw new ArgumentException($"--client-pool must be START:END with 0 <= START < END, got {start}:{end}");
        if (!(Lr > 0) || !double.IsFinite(Lr)) throw new ArgumentException($"--lr must be positive, got {Lr}");
        if (Momentum is < 0 or >= 1) throw new ArgumentException($"--momentum must be in [0, 1), got {Momentum}");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) throw new ArgumentException($"--weight-decay must be non-negative, got {WeightDecay}");
        if (Nesterov && Momentum == 0) throw new ArgumentException("--nesterov needs --momentum above 0");
        if (!Schedules.Contains(Schedule)) throw new ArgumentException($"--schedule must be one of {string.Join(", ", Schedules)}, got '{Schedule}'");
        if (WarmupRounds < 0 || WarmupRounds > Rounds) throw new ArgumentException($"--warmup-rounds must be 0..--rounds ({Rounds}), got {WarmupRounds}");
        if (Milestones is null || Milestones.Any(m => m < 1)) throw new ArgumentException("--milestones must be positive rounds");
        if (Milestones.Length > 0 && Schedule != "multistep") throw new ArgumentException($"--milestones applies to --schedule multistep, not {Schedule}");
        Positive(SplitIndex, "--split-index");
        // EcoFed's activation codes: the range the quantization kernels pack (EcoFedOptions checks the same).
        if (Bits is < Kernels.Quantize.MinBits or > Kernels.Quantize.MaxBits)
            throw new ArgumentException($"--bits must be {Kernels.Quantize.MinBits}..{Kernels.Quantize.MaxBits}, got {Bits}");
        Positive(Period, "--period");
        try
        {
            Aggregators.Parse(Aggregator);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--aggregator: {e.Message}");
        }
        if (Aggregator != "mean" && Method is not ("fedavg" or "ecofed"))
            throw new ArgumentException($"--aggregator {Aggregator} applies to fedavg and ecofed (the servers that average whole models), not {Method}");
        if (Front is not null && Method != "ecofed") throw new ArgumentException("--front applies to --method ecofed only");
        if (Front is not null && !File.Exists(Front)) throw new ArgumentException($"--front: no such file {Front}");
        if (System is null) throw new ArgumentException("system: the system model is missing");
        try
        {
            System.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"system model (--device-flops, --server-flops, --uplink, --downlink, --latency, --round-deadline, --slowdown): {e.Message}");
        }
    }

    /// <summary>
    /// The learning rate over <see cref="Rounds"/> (a step per round, <see cref="Fl.FedAvgOptions.Schedule"/>): null for a
    /// constant rate without warm-up, so such a run computes exactly what it did before schedules existed.
    /// </summary>
    public ILrSchedule? LrSchedule() => (Schedule, WarmupRounds) switch
    {
        ("constant", 0) => null,
        ("constant", _) => new ConstantWarmup(new ConstantLr(Lr), WarmupRounds, 0.1),
        _ => Decentralized.GossipSchedule.Create(Schedule, Lr, Milestones, WarmupRounds, Rounds, perEpoch: 1),
    };

    /// <summary>The client pool as (start, end), or null for all training images.</summary>
    public (int Start, int End)? Pool() => ClientPool is { } p ? ExperimentData.Range("--client-pool", p) : null;

    /// <summary>The partitioner of <see cref="Split"/> for <see cref="Clients"/> clients.</summary>
    public IPartitioner Partitioner() => Split switch
    {
        "iid" => new IidPartitioner(Clients),
        "shards" => new ShardPartitioner(Clients, Clients * ShardsPerClient, ShardsPerClient),
        _ => new DirichletPartitioner(Clients, Alpha),
    };

    /// <summary>The configuration as indented JSON with kebab-case keys.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, FlConfigJson.Default.FlConfig);

    /// <summary>Parses a configuration; an unknown key or a malformed value raises a one-line error naming <paramref name="source"/>.</summary>
    public static FlConfig Parse(string json, string source)
    {
        try
        {
            var given = RunConfigJson.Object(json);
            // The source generator sets init-only properties like constructor parameters, so a key left out would be
            // null or 0 rather than its default: the file's keys are laid over a complete default configuration instead.
            var merged = JsonNode.Parse(new FlConfig().ToJson())!.AsObject();
            Overlay(merged, given);
            return merged.Deserialize(FlConfigJson.Default.FlConfig) ?? throw new JsonException("null configuration");
        }
        catch (JsonException e)
        {
            throw new Nets.DataFormatException(source, $"malformed fl configuration ({e.Message.ReplaceLineEndings(" ")})", e);
        }
    }

    /// <summary>Reads a configuration file (<see cref="Parse"/>); a missing file raises a one-line error naming it.</summary>
    public static FlConfig Read(string path) =>
        File.Exists(path) ? Parse(File.ReadAllText(path), path) : throw new ArgumentException($"--config: no such file {path}");

    private static void Overlay(JsonObject target, JsonObject source)
    {
        foreach (var (key, value) in source)
        {
            if (value is JsonObject inner && target[key] is JsonObject existing) Overlay(existing, inner);
            else target[key] = value?.DeepClone();
        }
    }

    private static void Positive(int value, string option)
    {
        if (value <= 0) throw new ArgumentException($"{option} must be positive, got {value}");
    }
}

/// <summary>The source-generated JSON of <see cref="FlConfig"/>: kebab-case keys, unknown keys refused.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(FlConfig))]
internal sealed partial class FlConfigJson : JsonSerializerContext;
