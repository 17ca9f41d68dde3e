using NanoFed.Federation.Experiments;
using System.Text.Json;
using System.Text.Json.Serialization;
using NanoFed.Nets.Training;

namespace NanoFed.Cli;

/// <summary>
/// Every option of `nanofed gossip`, as written to a run folder's config.json; JSON names are the option names
/// without the dashes, so a conflicting option on --resume is named exactly.
/// </summary>
internal sealed record GossipConfig
{
    [JsonPropertyName("method")] public string Method { get; init; } = "sgp";
    [JsonPropertyName("agents")] public int Agents { get; init; } = 8;
    [JsonPropertyName("graph")] public string Graph { get; init; } = "exponential";
    [JsonPropertyName("degree")] public int Degree { get; init; } = 1;
    [JsonPropertyName("keep")] public double Keep { get; init; } = 0.01;
    [JsonPropertyName("gamma")] public float? Gamma { get; init; }
    [JsonPropertyName("form")] public string Form { get; init; } = "B";
    [JsonPropertyName("index-coding")] public string IndexCoding { get; init; } = "int32";
    [JsonPropertyName("compressor")] public string Compressor { get; init; } = "topk";
    [JsonPropertyName("bits")] public int Bits { get; init; } = 8;
    [JsonPropertyName("value-bits")] public int ValueBits { get; init; } = 32;
    [JsonPropertyName("keep-warmup-epochs")] public int KeepWarmupEpochs { get; init; }
    [JsonPropertyName("keep-start")] public double KeepStart { get; init; } = 0.1;
    [JsonPropertyName("skew")] public double? Skew { get; init; }
    [JsonPropertyName("alpha")] public double? Alpha { get; init; }
    [JsonPropertyName("model")] public string Model { get; init; } = "resnet20b";
    [JsonPropertyName("norm")] public string Norm { get; init; } = "";
    [JsonPropertyName("dataset")] public string Dataset { get; init; } = "cifar10";
    [JsonPropertyName("epochs")] public int Epochs { get; init; } = 10;
    [JsonPropertyName("batch")] public int Batch { get; init; } = 16;
    [JsonPropertyName("lr")] public double Lr { get; init; } = 0.1;
    [JsonPropertyName("momentum")] public double Momentum { get; init; } = 0.9;
    [JsonPropertyName("weight-decay")] public double WeightDecay { get; init; } = 1e-4;
    [JsonPropertyName("nesterov")] public bool Nesterov { get; init; }
    [JsonPropertyName("schedule")] public string Schedule { get; init; } = "multistep";
    [JsonPropertyName("warmup-epochs")] public int WarmupEpochs { get; init; } = 1;
    [JsonPropertyName("milestones")] public int[] Milestones { get; init; } = [];
    [JsonPropertyName("consensus-rounds")] public int ConsensusRounds { get; init; } = 50;
    [JsonPropertyName("consensus-bn")] public string ConsensusBn { get; init; } = "local";
    [JsonPropertyName("seed")] public ulong Seed { get; init; }
    [JsonPropertyName("test-files")] public string? TestFiles { get; init; }
    [JsonPropertyName("limit")] public int Limit { get; init; }
    [JsonPropertyName("test-limit")] public int TestLimit { get; init; }
    [JsonPropertyName("eval-every")] public int EvalEvery { get; init; } = 1;
    [JsonPropertyName("no-augment")] public bool NoAugment { get; init; }

    /// <summary>γ of the compressed methods: the option, else Sparse-Push's default.</summary>
    [JsonIgnore] public float GammaOrDefault => Gamma ?? Federation.Gossip.SparsePush.DefaultGamma;

    /// <summary>Options that may differ on --resume (they change neither the trajectory nor the metrics of past epochs).</summary>
    public static readonly string[] Resumable = ["epochs", "eval-every", "test-files"];

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad option.</summary>
    public void Validate()
    {
        GossipMethods.Check(Method);
        if (Agents is < 1 or > 1024) throw new ArgumentException($"--agents must be 1..1024, got {Agents}");
        GossipGraphs.Check(Graph);
        if (Degree < 1 || Degree >= Math.Max(2, Agents)) throw new ArgumentException($"--degree must be 1..agents-1, got {Degree}");
        if (!(Keep > 0 && Keep <= 1)) throw new ArgumentException($"--keep must be in (0, 1], got {Keep}");
        if (Gamma is { } g && !(g > 0 && g <= 1)) throw new ArgumentException($"--gamma must be in (0, 1], got {g}");
        if (Form is not ("A" or "B")) throw new ArgumentException($"--form must be A or B, got '{Form}'");
        if (IndexCoding is not ("int32" or "uint16" or "bitmap" or "delta")) throw new ArgumentException($"--index-coding must be int32, uint16, bitmap or delta, got '{IndexCoding}'");
        if (Compressor is not ("topk" or "randomk" or "quantize" or "sign")) throw new ArgumentException($"--compressor must be topk, randomk, quantize or sign, got '{Compressor}'");
        if (Bits is < 1 or > 16) throw new ArgumentException($"--bits must be 1..16, got {Bits}");
        if (KeepWarmupEpochs < 0) throw new ArgumentException($"--keep-warmup-epochs must be non-negative, got {KeepWarmupEpochs}");
        if (KeepWarmupEpochs > 0 && !(Method is "sparse-push" or "scsp" or "choco" && Compressor is "topk" or "randomk"))
            throw new ArgumentException("--keep-warmup-epochs needs a method with a compressor (sparse-push, scsp, choco) and --compressor topk or randomk");
        if (KeepWarmupEpochs > 0 && !(KeepStart >= Keep && KeepStart <= 1)) throw new ArgumentException($"--keep-start must be in [--keep, 1], got {KeepStart}");
        if (ValueBits is not (32 or (>= 2 and <= 8))) throw new ArgumentException($"--value-bits must be 32 or 2..8, got {ValueBits}");
        if (Skew is not null && Alpha is not null) throw new ArgumentException("--skew and --alpha exclude each other");
        if (Skew is { } s && !(s >= 0 && s <= 1)) throw new ArgumentException($"--skew must be in [0, 1], got {s}");
        if (Alpha is { } a && !(a > 0)) throw new ArgumentException($"--alpha must be positive, got {a}");
        ModelCatalog.ParseNorm(Model, Norm);
        DatasetCatalog.Check(Dataset);
        ExperimentData.CheckModelFits(Model, Dataset);
        if (Epochs < 1) throw new ArgumentException($"--epochs must be positive, got {Epochs}");
        if (Batch < 1) throw new ArgumentException($"--batch must be positive, got {Batch}");
        if (!(Lr > 0)) throw new ArgumentException($"--lr must be positive, got {Lr}");
        if (Momentum is < 0 or >= 1) throw new ArgumentException($"--momentum must be in [0, 1), got {Momentum}");
        if (!(WeightDecay >= 0)) throw new ArgumentException($"--weight-decay must be non-negative, got {WeightDecay}");
        if (Nesterov && Momentum == 0) throw new ArgumentException("--nesterov needs --momentum above 0");
        if (!Federation.Decentralized.GossipSchedule.Names.Contains(Schedule))
            throw new ArgumentException($"--schedule must be {string.Join(", ", Federation.Decentralized.GossipSchedule.Names)}, got '{Schedule}'");
        if (WarmupEpochs < 0) throw new ArgumentException($"--warmup-epochs must be non-negative, got {WarmupEpochs}");
        if (Milestones.Any(m => m < 1)) throw new ArgumentException("--milestones must be positive epochs");
        if (ConsensusBn is not ("local" or "gossip")) throw new ArgumentException($"--consensus-bn must be local or gossip, got '{ConsensusBn}'");
        if (ConsensusRounds < 0) throw new ArgumentException($"--consensus-rounds must be non-negative, got {ConsensusRounds}");
        if (Limit < 0 || TestLimit < 0) throw new ArgumentException("--limit and --test-limit must be non-negative");
        if (EvalEvery < 1) throw new ArgumentException($"--eval-every must be positive, got {EvalEvery}");
    }

    /// <summary>The configuration as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, GossipConfigJson.Default.GossipConfig);

    /// <summary>Parses <see cref="ToJson"/>'s output from <paramref name="path"/>; a malformed file raises a one-line error naming it.</summary>
    public static GossipConfig Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), GossipConfigJson.Default.GossipConfig)
                ?? throw new JsonException("null configuration");
        }
        catch (JsonException e)
        {
            throw new Nets.DataFormatException(path, $"malformed gossip configuration ({e.Message})", e);
        }
    }

    /// <summary>The JSON value of option <paramref name="name"/> (without dashes), for comparisons.</summary>
    public string ValueOf(string name) => JsonSerializer.SerializeToElement(this, GossipConfigJson.Default.GossipConfig).GetProperty(name).GetRawText();
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(GossipConfig))]
internal sealed partial class GossipConfigJson : JsonSerializerContext;
