using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using NanoFed.Federation.Compression;
using NanoFed.Nets.Training;

namespace NanoFed.Federation.Experiments;

/// <summary>
/// The configuration of a gossip run, as written to a run folder's config.json and read by `nanofed gossip --config`
/// and `nanofed peer --config`. JSON names are the `nanofed gossip` option names without the dashes (kebab-case), so
/// an option in conflict with a saved run is named exactly; <see cref="Validate"/> is the one check of every value.
/// </summary>
public sealed record GossipConfig
{
    /// <summary>Method: one of <see cref="GossipMethods.Names"/>.</summary>
    [JsonPropertyName("method")] public string Method { get; init; } = "sgp";

    /// <summary>Number of agents n.</summary>
    [JsonPropertyName("agents")] public int Agents { get; init; } = 8;

    /// <summary>Graph: one of <see cref="GossipGraphs.Names"/>.</summary>
    [JsonPropertyName("graph")] public string Graph { get; init; } = "exponential";

    /// <summary>Out-degree of the random and permutation graphs.</summary>
    [JsonPropertyName("degree")] public int Degree { get; init; } = 1;

    /// <summary>
    /// Iterations per gossip round H, one per learning-rate phase (the first until the first of <see cref="Milestones"/>,
    /// then one per milestone; the last repeats): the agents gossip at the phase's iterations t with (t − S + 1) mod H = 0,
    /// S the phase's first iteration, and take local steps only in between (<see cref="Topology.PeriodicTopology"/>);
    /// [1] gossips at every iteration. Saved as a number when there is one period.
    /// </summary>
    [JsonPropertyName("gossip-every"), JsonConverter(typeof(PeriodsJsonConverter))] public int[] GossipEvery { get; init; } = [1];

    /// <summary>
    /// Consecutive gossip rounds B at the end of every period of <see cref="GossipEvery"/>: the rounds are the iterations
    /// with (t − S) mod H ≥ H − B. On the one-peer exponential graph of 2^k agents, B = k averages exactly.
    /// </summary>
    [JsonPropertyName("gossip-burst")] public int GossipBurst { get; init; } = 1;

    /// <summary>Whether some phase gossips less often than every iteration.</summary>
    [JsonIgnore] public bool IsPeriodic => GossipEvery.Any(h => h > 1);

    /// <summary>Fraction of entries kept per tensor (top-k, random-k).</summary>
    [JsonPropertyName("keep")] public double Keep { get; init; } = 0.01;

    /// <summary>Consensus step γ of the compressed methods (null: <see cref="Gossip.SparsePush.DefaultGamma"/>).</summary>
    [JsonPropertyName("gamma")] public float? Gamma { get; init; }

    /// <summary>
    /// How the compressed methods apply γ (<see cref="Gossip.ConsensusStep"/>): "constant", "lr" (γ · lr(t) / lr) or
    /// "adagossip[:BETA]" (a step per coordinate, default β <see cref="Gossip.ConsensusStep.DefaultBeta"/>).
    /// </summary>
    [JsonPropertyName("consensus-step")] public string ConsensusStepRule { get; init; } = "constant";

    /// <summary>Sparse-Push form: A (error feedback) or B (compressed differences).</summary>
    [JsonPropertyName("form")] public string Form { get; init; } = "B";

    /// <summary>Index coding of sparse tensors: int32, uint16, bitmap or delta.</summary>
    [JsonPropertyName("index-coding")] public string IndexCoding { get; init; } = "int32";

    /// <summary>Compressor: topk, randomk, quantize or sign.</summary>
    [JsonPropertyName("compressor")] public string Compressor { get; init; } = "topk";

    /// <summary>Bits of the quantize compressor.</summary>
    [JsonPropertyName("bits")] public int Bits { get; init; } = 8;

    /// <summary>Whether the quantize compressor's codes travel entropy-coded (rANS, lossless: the same run in fewer bytes).</summary>
    [JsonPropertyName("entropy-coding")] public bool EntropyCoding { get; init; }

    /// <summary>Bits of each kept top-k value (32: float32; 2..8: codes with one scale per tensor).</summary>
    [JsonPropertyName("value-bits")] public int ValueBits { get; init; } = 32;

    /// <summary>Whether each message packs its sparse tensors into one, under one header (<see cref="Gossip.CompressedGossip.Pack"/>).</summary>
    [JsonPropertyName("pack")] public bool Pack { get; init; }

    /// <summary>Epochs over which keep falls geometrically from <see cref="KeepStart"/> to <see cref="Keep"/> (0: no warm-up).</summary>
    [JsonPropertyName("keep-warmup-epochs")] public int KeepWarmupEpochs { get; init; }

    /// <summary>Keep at the first iteration of the compression warm-up.</summary>
    [JsonPropertyName("keep-start")] public double KeepStart { get; init; } = 0.1;

    /// <summary>Non-IID skew in [0, 1] (null with <see cref="Alpha"/> null: IID).</summary>
    [JsonPropertyName("skew")] public double? Skew { get; init; }

    /// <summary>Dirichlet concentration of a non-IID split (instead of <see cref="Skew"/>).</summary>
    [JsonPropertyName("alpha")] public double? Alpha { get; init; }

    /// <summary>Model name (<see cref="ModelCatalog"/>).</summary>
    [JsonPropertyName("model")] public string Model { get; init; } = "resnet20b";

    /// <summary>Normalization layer of the model ("" for its default).</summary>
    [JsonPropertyName("norm")] public string Norm { get; init; } = "";

    /// <summary>Data set: cifar10 or fashion-mnist.</summary>
    [JsonPropertyName("dataset")] public string Dataset { get; init; } = "cifar10";

    /// <summary>Training epochs.</summary>
    [JsonPropertyName("epochs")] public int Epochs { get; init; } = 10;

    /// <summary>Batch size per agent.</summary>
    [JsonPropertyName("batch")] public int Batch { get; init; } = 16;

    /// <summary>Base learning rate.</summary>
    [JsonPropertyName("lr")] public double Lr { get; init; } = 0.1;

    /// <summary>SGD momentum.</summary>
    [JsonPropertyName("momentum")] public double Momentum { get; init; } = 0.9;

    /// <summary>SGD weight decay.</summary>
    [JsonPropertyName("weight-decay")] public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Nesterov momentum.</summary>
    [JsonPropertyName("nesterov")] public bool Nesterov { get; init; }

    /// <summary>Quasi-global momentum (<see cref="Decentralized.QuasiGlobalMomentum"/>) instead of each agent's local momentum.</summary>
    [JsonPropertyName("quasi-global-momentum")] public bool QuasiGlobalMomentum { get; init; }

    /// <summary>Global Update Tracking's scaling μ in (0, 1] (<see cref="Decentralized.GlobalUpdateTracking"/>), or null for plain gradients.</summary>
    [JsonPropertyName("update-tracking")] public double? UpdateTracking { get; init; }

    /// <summary>Learning-rate schedule (<see cref="Decentralized.GossipSchedule.Names"/>).</summary>
    [JsonPropertyName("schedule")] public string Schedule { get; init; } = "multistep";

    /// <summary>Epochs at lr / 10 first.</summary>
    [JsonPropertyName("warmup-epochs")] public int WarmupEpochs { get; init; } = 1;

    /// <summary>Epochs at which the learning rate drops ×0.1.</summary>
    [JsonPropertyName("milestones")] public int[] Milestones { get; init; } = [];

    /// <summary>SCSP's consensus rounds after training.</summary>
    [JsonPropertyName("consensus-rounds")] public int ConsensusRounds { get; init; } = 50;

    /// <summary>BatchNorm statistics in SCSP's consensus rounds: local or gossip.</summary>
    [JsonPropertyName("consensus-bn")] public string ConsensusBn { get; init; } = "local";

    /// <summary>
    /// Compressor of SCSP's consensus rounds: none (uncompressed push-sum, the spec's default) or one of
    /// <see cref="Compressor"/>'s, with form B differences, --keep, --index-coding, --value-bits and --entropy-coding
    /// as in training and <see cref="ConsensusBits"/> for quantize.
    /// </summary>
    [JsonPropertyName("consensus-compressor")] public string ConsensusCompressor { get; init; } = "none";

    /// <summary>Consensus step γ of SCSP's compressed consensus rounds.</summary>
    [JsonPropertyName("consensus-gamma")] public float ConsensusGamma { get; init; } = 1;

    /// <summary>Bits of the quantize compressor in SCSP's consensus rounds (null: <see cref="Bits"/>).</summary>
    [JsonPropertyName("consensus-bits")] public int? ConsensusBits { get; init; }

    /// <summary>Seed of initialization, partition, shuffling and graphs.</summary>
    [JsonPropertyName("seed")] public ulong Seed { get; init; }

    /// <summary>CIFAR-10 test files, comma-separated (null: the defaults).</summary>
    [JsonPropertyName("test-files")] public string? TestFiles { get; init; }

    /// <summary>Train on the first N training images only (0: all).</summary>
    [JsonPropertyName("limit")] public int Limit { get; init; }

    /// <summary>Evaluate on the first N images of each test set only (0: all).</summary>
    [JsonPropertyName("test-limit")] public int TestLimit { get; init; }

    /// <summary>Evaluate the agents on the secondary test sets every K epochs.</summary>
    [JsonPropertyName("eval-every")] public int EvalEvery { get; init; } = 1;

    /// <summary>Fault injection: the probability that a gossip message is lost (push-sum methods only; 0 for none).</summary>
    [JsonPropertyName("message-loss")] public double MessageLoss { get; init; }

    /// <summary>
    /// Fault injection: the probability that an agent is away for a window of <see cref="AbsenceIterations"/> training
    /// iterations and then rejoins (push-sum methods only; 0 for none; <see cref="GossipExperiment.IsAway"/>).
    /// </summary>
    [JsonPropertyName("absence")] public double Absence { get; init; }

    /// <summary>The length in iterations of the windows an agent is away for (<see cref="Absence"/>).</summary>
    [JsonPropertyName("absence-iterations")] public int AbsenceIterations { get; init; } = 10;

    /// <summary>No crop and flip augmentation.</summary>
    [JsonPropertyName("no-augment")] public bool NoAugment { get; init; }

    /// <summary>γ of the compressed methods: the option, else Sparse-Push's default.</summary>
    [JsonIgnore] public float GammaOrDefault => Gamma ?? Gossip.SparsePush.DefaultGamma;

    /// <summary>Whether the method is one of <see cref="GossipMethods.Compressed"/>.</summary>
    [JsonIgnore] public bool IsCompressed => GossipMethods.Compressed.Contains(Method);

    /// <summary>The graph as titles and headers name it: "exponential", or "exponential, gossip every 16 iterations".</summary>
    [JsonIgnore] public string GraphText => Graph + PeriodText;

    /// <summary>
    /// ", gossip every 16 iterations" with <see cref="GossipEvery"/> [16], ", gossip every 8 then 128 iterations" with
    /// [8, 128], ", 3 gossips every 96 iterations" with a burst of 3, empty with [1].
    /// </summary>
    [JsonIgnore] public string PeriodText => !IsPeriodic ? ""
        : GossipBurst == 1 ? $", gossip every {string.Join(" then ", GossipEvery)} iterations"
        : $", {GossipBurst} gossips every {string.Join(" then ", GossipEvery)} iterations";

    /// <summary>What the compressor keeps, as titles and headers name it: "keep 1%" (top-k), "random keep 1%", "4-bit quantization" or "sign".</summary>
    [JsonIgnore] public string CompressorText => Compressor switch
    {
        "randomk" => string.Create(CultureInfo.InvariantCulture, $"random keep {Keep:0.####%}"),
        "quantize" => EntropyCoding ? $"{Bits}-bit quantization, entropy-coded" : $"{Bits}-bit quantization",
        "sign" => "sign",
        _ => string.Create(CultureInfo.InvariantCulture, $"keep {Keep:0.####%}"),
    };

    /// <summary>What SCSP's consensus rounds send, as the consensus row names it: "uncompressed" or "8-bit quantization, γ 0.5".</summary>
    [JsonIgnore] public string ConsensusText => ConsensusCompressor == "none" ? "uncompressed"
        : string.Create(CultureInfo.InvariantCulture, $"{ForConsensusRounds().CompressorText}, γ {ConsensusGamma:G}");

    /// <summary>
    /// The configuration SCSP's compressed consensus rounds gossip with: Sparse-Push form B every round, with
    /// <see cref="ConsensusCompressor"/>, <see cref="ConsensusBits"/> (or <see cref="Bits"/>) and <see cref="ConsensusGamma"/>
    /// held constant; the other compression options are training's.
    /// </summary>
    public GossipConfig ForConsensusRounds() => this with
    {
        Method = "sparse-push", Form = "B", Compressor = ConsensusCompressor, Bits = ConsensusBits ?? Bits, Gamma = ConsensusGamma,
        ConsensusStepRule = "constant", GossipEvery = [1], GossipBurst = 1,
    };

    /// <summary>Whether the method is one of <see cref="GossipMethods.PushSum"/>.</summary>
    [JsonIgnore] public bool IsPushSum => GossipMethods.PushSum.Contains(Method);

    /// <summary>Options that may differ on --resume (they change neither the trajectory nor the metrics of past epochs).</summary>
    public static IReadOnlyList<string> Resumable { get; } = ["epochs", "eval-every", "test-files"];

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad option.</summary>
    public void Validate()
    {
        GossipMethods.Check(Method);
        if (Agents is < 2 or > 1024) throw new ArgumentException($"--agents must be 2..1024 (every graph joins at least two agents), got {Agents}");
        GossipGraphs.Check(Graph);
        if (Degree < 1 || Degree >= Math.Max(2, Agents)) throw new ArgumentException($"--degree must be 1..agents-1, got {Degree}");
        if (GossipEvery is null || GossipEvery.Length == 0 || GossipEvery.Any(h => h < 1))
            throw new ArgumentException($"--gossip-every must be positive iteration counts, got '{string.Join(",", GossipEvery ?? [])}'");
        int[] milestones = Milestones ?? [];
        if (GossipEvery.Length > 1 && !(Schedule == "multistep" && GossipEvery.Length <= milestones.Length + 1 && milestones.SequenceEqual(milestones.Order().Distinct())))
            throw new ArgumentException($"--gossip-every gives {GossipEvery.Length} periods: at most one per learning-rate phase of --schedule multistep, whose --milestones increase ({milestones.Length + 1} phases)");
        if (GossipBurst < 1 || GossipBurst > GossipEvery.Min())
            throw new ArgumentException($"--gossip-burst must be 1..{GossipEvery.Min()} (the shortest --gossip-every period), got {GossipBurst}");
        if (IsPeriodic && Method is "allreduce" or "none")
            throw new ArgumentException($"--gossip-every needs a gossip method (sgp, sparse-push, scsp, dpsgd, choco), got {Method}");
        if (!(Keep > 0 && Keep <= 1)) throw new ArgumentException($"--keep must be in (0, 1], got {Keep}");
        if (Gamma is { } g && !(g > 0 && g <= 1)) throw new ArgumentException($"--gamma must be in (0, 1], got {g}");
        ParseConsensusStep(ConsensusStepRule, null);
        if (ConsensusStepRule != "constant" && !IsCompressed)
            throw new ArgumentException($"--consensus-step {ConsensusStepRule} needs a method with a consensus step (sparse-push, scsp, choco), got {Method}");
        if (Form is not ("A" or "B")) throw new ArgumentException($"--form must be A or B, got '{Form}'");
        if (IndexCoding is not ("int32" or "uint16" or "bitmap" or "delta")) throw new ArgumentException($"--index-coding must be int32, uint16, bitmap or delta, got '{IndexCoding}'");
        if (Compressor is not ("topk" or "randomk" or "quantize" or "sign")) throw new ArgumentException($"--compressor must be topk, randomk, quantize or sign, got '{Compressor}'");
        if (!QuantizeCompressor.Takes(Bits)) throw new ArgumentException($"--bits must be {QuantizeCompressor.MinBits}..{QuantizeCompressor.MaxBits}, got {Bits}");
        if (EntropyCoding && !(Compressor == "quantize" && IsCompressed))
            throw new ArgumentException($"--entropy-coding codes the quantize compressor's codes: it needs --compressor quantize and a compressed method, got {Compressor} with {Method}");
        if (KeepWarmupEpochs < 0) throw new ArgumentException($"--keep-warmup-epochs must be non-negative, got {KeepWarmupEpochs}");
        if (KeepWarmupEpochs > 0 && !(IsCompressed && Compressor is "topk" or "randomk"))
            throw new ArgumentException("--keep-warmup-epochs needs a method with a compressor (sparse-push, scsp, choco) and --compressor topk or randomk");
        if (KeepWarmupEpochs > 0 && !(KeepStart >= Keep && KeepStart <= 1)) throw new ArgumentException($"--keep-start must be in [--keep, 1], got {KeepStart}");
        if (ValueBits != 32 && !QuantizeCompressor.Takes(ValueBits))
            throw new ArgumentException($"--value-bits must be 32 or {QuantizeCompressor.MinBits}..{QuantizeCompressor.MaxBits}, got {ValueBits}");
        if (Pack && !(IsCompressed && Compressor is "topk" or "randomk" && IndexCoding is not "delta"))
            throw new ArgumentException("--pack needs a method with a sparse compressor (sparse-push, scsp or choco with --compressor topk or randomk) and --index-coding int32, uint16 or bitmap");
        if (Skew is not null && Alpha is not null) throw new ArgumentException("--skew and --alpha exclude each other");
        if (Skew is { } s && !(s >= 0 && s <= 1)) throw new ArgumentException($"--skew must be in [0, 1], got {s}");
        if (Alpha is { } a && !(a > 0)) throw new ArgumentException($"--alpha must be positive, got {a}");
        ModelCatalog.ParseNorm(Model, Norm);
        DatasetCatalog.Check(Dataset);
        ExperimentData.CheckModelFits(Model, Dataset);
        if (Epochs < 1) throw new ArgumentException($"--epochs must be positive, got {Epochs}");
        if (Batch < 1) throw new ArgumentException($"--batch must be positive, got {Batch}");
        if (!(Lr > 0)) throw new ArgumentException($"--lr must be positive, got {Lr}");
        if (!(Momentum >= 0 && Momentum < 1)) throw new ArgumentException($"--momentum must be in [0, 1), got {Momentum}");
        if (!(WeightDecay >= 0)) throw new ArgumentException($"--weight-decay must be non-negative, got {WeightDecay}");
        if (Nesterov && Momentum == 0) throw new ArgumentException("--nesterov needs --momentum above 0");
        if (QuasiGlobalMomentum && Momentum == 0) throw new ArgumentException("--quasi-global-momentum needs --momentum above 0");
        if (UpdateTracking is { } mu && !(mu > 0 && mu <= 1)) throw new ArgumentException($"--update-tracking must be in (0, 1], got {mu}");
        if (!Decentralized.GossipSchedule.Names.Contains(Schedule))
            throw new ArgumentException($"--schedule must be {string.Join(", ", Decentralized.GossipSchedule.Names)}, got '{Schedule}'");
        if (WarmupEpochs < 0) throw new ArgumentException($"--warmup-epochs must be non-negative, got {WarmupEpochs}");
        if (Milestones is null || Milestones.Any(m => m < 1)) throw new ArgumentException("--milestones must be positive epochs");
        if (ConsensusBn is not ("local" or "gossip")) throw new ArgumentException($"--consensus-bn must be local or gossip, got '{ConsensusBn}'");
        if (ConsensusRounds < 0) throw new ArgumentException($"--consensus-rounds must be non-negative, got {ConsensusRounds}");
        if (ConsensusCompressor is not ("none" or "topk" or "randomk" or "quantize" or "sign"))
            throw new ArgumentException($"--consensus-compressor must be none, topk, randomk, quantize or sign, got '{ConsensusCompressor}'");
        if (!(ConsensusGamma > 0 && ConsensusGamma <= 1)) throw new ArgumentException($"--consensus-gamma must be in (0, 1], got {ConsensusGamma}");
        if (ConsensusBits is { } cb && !QuantizeCompressor.Takes(cb))
            throw new ArgumentException($"--consensus-bits must be {QuantizeCompressor.MinBits}..{QuantizeCompressor.MaxBits}, got {cb}");
        if ((ConsensusCompressor != "none" || ConsensusGamma != 1 || ConsensusBits is not null) && Method != "scsp")
            throw new ArgumentException($"--consensus-compressor, --consensus-gamma and --consensus-bits set SCSP's consensus rounds: they need --method scsp, got {Method}");
        if ((ConsensusGamma != 1 || ConsensusBits is not null) && ConsensusCompressor == "none")
            throw new ArgumentException("--consensus-gamma and --consensus-bits need a --consensus-compressor (uncompressed consensus rounds use γ = 1)");
        if (Limit < 0 || TestLimit < 0) throw new ArgumentException("--limit and --test-limit must be non-negative");
        if (EvalEvery < 1) throw new ArgumentException($"--eval-every must be positive, got {EvalEvery}");
        if (!(MessageLoss >= 0 && MessageLoss <= 1)) throw new ArgumentException($"--message-loss must be a probability in [0, 1], got {MessageLoss}");
        if (MessageLoss > 0 && !IsPushSum)
            throw new ArgumentException($"--message-loss needs a push-sum method (sgp, sparse-push, scsp), whose lost shares stay with the sender; {Method} needs every message delivered");
        if (!(Absence >= 0 && Absence <= 1)) throw new ArgumentException($"--absence must be a probability in [0, 1], got {Absence}");
        if (Absence > 0 && !IsPushSum)
            throw new ArgumentException($"--absence needs a push-sum method (sgp, sparse-push, scsp), whose shares for an absent agent stay with the sender; {Method} needs every agent");
        if (AbsenceIterations < 1) throw new ArgumentException($"--absence-iterations must be positive, got {AbsenceIterations}");
    }

    /// <summary>
    /// The <see cref="Gossip.ConsensusStep"/> of <paramref name="rule"/> ("constant", "lr" or "adagossip[:BETA]"), with
    /// <paramref name="lrScale"/> = lr(t) / lr for "lr" (null: γ held constant, as the consensus-step tuner does); a
    /// bad rule raises an <see cref="ArgumentException"/> naming --consensus-step.
    /// </summary>
    public static Gossip.ConsensusStep ParseConsensusStep(string rule, Func<long, double>? lrScale)
    {
        const string Known = "constant, lr or adagossip[:BETA] with 0 < BETA < 1";
        if (rule == "constant") return Gossip.ConsensusStep.Constant;
        if (rule == "lr") return lrScale is null ? Gossip.ConsensusStep.Constant : Gossip.ConsensusStep.FollowingLearningRate(lrScale);
        string[] parts = (rule ?? "").Split(':');
        if (parts[0] != "adagossip" || parts.Length > 2) throw new ArgumentException($"--consensus-step must be {Known}, got '{rule}'");
        if (parts.Length == 1) return Gossip.ConsensusStep.Adaptive();
        if (!float.TryParse(parts[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float b) || !(b > 0 && b < 1))
            throw new ArgumentException($"--consensus-step must be {Known}, got '{rule}'");
        return Gossip.ConsensusStep.Adaptive(b);
    }

    /// <summary>The configuration as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, GossipConfigJson.Default.GossipConfig);

    /// <summary>
    /// Parses <see cref="ToJson"/>'s output from <paramref name="path"/> (<see cref="Parse"/>); a missing file raises a
    /// one-line error naming it.
    /// </summary>
    public static GossipConfig Read(string path) =>
        File.Exists(path) ? Parse(File.ReadAllText(path), path) : throw new FileNotFoundException($"{path}: gossip configuration not found", path);

    /// <summary>
    /// Parses a configuration: a key that is missing takes its default, an unknown key (a typo) is refused; malformed
    /// JSON raises a one-line <see cref="Nets.DataFormatException"/> naming <paramref name="source"/>.
    /// </summary>
    public static GossipConfig Parse(string json, string source)
    {
        try
        {
            // Source-generated deserialization sets an absent init-only property to default(T), not to its initializer,
            // so the file's keys are laid over a complete default tree first.
            var tree = new GossipConfig().Tree();
            var file = RunConfigJson.Object(json);
            foreach (var (key, value) in file)
            {
                if (!tree.ContainsKey(key)) throw new JsonException($"unknown key '{key}'");
                tree[key] = value?.DeepClone();
            }
            return tree.Deserialize(GossipConfigJson.Default.GossipConfig) ?? throw new JsonException("null configuration");
        }
        catch (JsonException e)
        {
            throw new Nets.DataFormatException(source, $"malformed gossip configuration ({e.Message.ReplaceLineEndings(" ")})", e);
        }
    }

    /// <summary>The JSON value of option <paramref name="name"/> (without dashes), or null when the configuration has no such key.</summary>
    public string? ValueOf(string name) => Tree().TryGetPropertyValue(name, out var value) ? value?.ToJsonString() ?? "null" : null;

    /// <summary>This configuration with the values of <paramref name="names"/> (keys of config.json; others are ignored) taken from <paramref name="other"/>.</summary>
    public GossipConfig With(GossipConfig other, IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(other);
        ArgumentNullException.ThrowIfNull(names);
        var tree = Tree();
        var source = other.Tree();
        foreach (string name in names)
            if (source.TryGetPropertyValue(name, out var value)) tree[name] = value?.DeepClone();
        return tree.Deserialize(GossipConfigJson.Default.GossipConfig)!;
    }

    /// <summary>
    /// The configuration saved in a run folder's config.json at <paramref name="path"/> for a resumed session: the
    /// options in <paramref name="given"/> (given explicitly; keys of config.json, others are ignored) must equal the
    /// saved values unless they are <see cref="Resumable"/>, where <paramref name="fresh"/>'s value applies.
    /// </summary>
    public static GossipConfig Resumed(string path, GossipConfig fresh, IReadOnlyCollection<string> given)
    {
        ArgumentNullException.ThrowIfNull(fresh);
        ArgumentNullException.ThrowIfNull(given);
        if (!File.Exists(path)) throw new ArgumentException($"--resume: no {path}");
        var saved = Read(path);
        foreach (string name in given.Where(g => !Resumable.Contains(g)))
        {
            string? now = fresh.ValueOf(name);
            if (now is not null && now != saved.ValueOf(name))
                throw new ArgumentException($"--resume: --{name} {now} conflicts with the run's {saved.ValueOf(name)} ({path})");
        }
        if (given.Contains("epochs") && fresh.Epochs != saved.Epochs && saved.Schedule != "multistep")
            throw new ArgumentException($"--resume: --epochs {fresh.Epochs} would change the run's {saved.Schedule} schedule of {saved.Epochs} epochs ({path})");
        return saved.With(fresh, given.Where(Resumable.Contains));
    }

    private JsonObject Tree() => JsonSerializer.SerializeToNode(this, GossipConfigJson.Default.GossipConfig)!.AsObject();
}

/// <summary>The source-generated JSON of <see cref="GossipConfig"/>.</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(GossipConfig))]
internal sealed partial class GossipConfigJson : JsonSerializerContext;

/// <summary>
/// <see cref="GossipConfig.GossipEvery"/> in JSON: a number for one period (as every configuration wrote it before
/// there were phases), an array for several.
/// </summary>
internal sealed class PeriodsJsonConverter : JsonConverter<int[]>
{
    public override int[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number) return [reader.GetInt32()];
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("gossip-every must be a number or an array of numbers");
        var periods = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            periods.Add(reader.TokenType == JsonTokenType.Number ? reader.GetInt32() : throw new JsonException("gossip-every must be a number or an array of numbers"));
        return [.. periods];
    }

    public override void Write(Utf8JsonWriter writer, int[] value, JsonSerializerOptions options)
    {
        if (value.Length == 1)
        {
            writer.WriteNumberValue(value[0]);
            return;
        }
        writer.WriteStartArray();
        foreach (int h in value) writer.WriteNumberValue(h);
        writer.WriteEndArray();
    }
}
