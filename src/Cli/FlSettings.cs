using NanoFed.Federation.Experiments;
using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NanoFed.Federation.Partitioning;
using NanoFed.Nets.Training;

namespace NanoFed.Cli;

/// <summary>Every option of `nanofed fl`, validated as a whole and recorded in the run's config.json.</summary>
internal sealed class FlSettings
{
    /// <summary>The method names <see cref="FlMethods.Create"/> knows.</summary>
    public static readonly string[] Methods = ["fedavg", "splitfed", "localloss", "fedgkt", "ecofed"];

    /// <summary>The split names.</summary>
    public static readonly string[] Splits = ["iid", "shards", "dirichlet"];

    public string Method { get; init; } = "fedavg";
    public string Model { get; init; } = "vgg11-ecofed";
    public string Norm { get; init; } = "";
    public string Dataset { get; init; } = "cifar10";
    public int Clients { get; init; } = 100;
    public int PerRound { get; init; } = 20;
    public int Rounds { get; init; } = 100;
    public string Split { get; init; } = "iid";
    public int ShardsPerClient { get; init; } = 5;
    public int? ShardSize { get; init; }
    public double Alpha { get; init; } = 0.5;
    public int SamplesPerClient { get; init; } = 500;
    public (int Start, int End)? ClientPool { get; init; }
    public int LocalEpochs { get; init; } = 1;
    public int Batch { get; init; } = 10;
    public double Lr { get; init; } = 0.01;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; }
    public ulong Seed { get; init; }
    public int SplitIndex { get; init; } = 8;
    public int Bits { get; init; } = 8;
    public bool PerChannel { get; init; }
    public int Period { get; init; } = 2;
    public string? Front { get; init; }
    public int EvalEvery { get; init; } = 1;
    public Federation.SystemModel.SystemModel System { get; init; } = Federation.SystemModel.SystemModel.Default;

    /// <summary>Checks every option against the others; throws <see cref="ArgumentException"/> naming the option.</summary>
    public void Validate()
    {
        if (!Methods.Contains(Method)) throw new ArgumentException($"--method must be one of {string.Join(", ", Methods)}, got '{Method}'");
        ModelCatalog.ParseNorm(Model, Norm);
        DatasetCatalog.Check(Dataset);
        ExperimentData.CheckModelFits(Model, Dataset);
        if (!Splits.Contains(Split)) throw new ArgumentException($"--split must be one of {string.Join(", ", Splits)}, got '{Split}'");
        Positive(Clients, "--clients");
        Positive(Rounds, "--rounds");
        Positive(SamplesPerClient, "--samples-per-client");
        Positive(LocalEpochs, "--local-epochs");
        Positive(Batch, "--batch");
        Positive(EvalEvery, "--eval-every");
        if (PerRound < 1 || PerRound > Clients) throw new ArgumentException($"--per-round must be 1..--clients ({Clients}), got {PerRound}");
        Positive(ShardsPerClient, "--shards-per-client");
        if (Split == "shards" && SamplesPerClient % ShardsPerClient != 0)
            throw new ArgumentException($"--samples-per-client {SamplesPerClient} does not cut into --shards-per-client {ShardsPerClient} equal shards");
        if (ShardSize is { } size && size * ShardsPerClient != SamplesPerClient)
            throw new ArgumentException($"--shard-size {size} x --shards-per-client {ShardsPerClient} must equal --samples-per-client {SamplesPerClient}");
        if (!(Alpha > 0) || !double.IsFinite(Alpha)) throw new ArgumentException($"--alpha must be positive, got {Alpha}");
        if (ClientPool is var (start, end) && (start < 0 || end <= start))
            throw new ArgumentException($"--client-pool must be START:END with 0 <= START < END, got {start}:{end}");
        if (!(Lr > 0) || !double.IsFinite(Lr)) throw new ArgumentException($"--lr must be positive, got {Lr}");
        if (Momentum is < 0 or >= 1) throw new ArgumentException($"--momentum must be in [0, 1), got {Momentum}");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) throw new ArgumentException($"--weight-decay must be non-negative, got {WeightDecay}");
        Positive(SplitIndex, "--split-index");
        if (Bits is < 2 or > 16) throw new ArgumentException($"--bits must be 2..16, got {Bits}");
        Positive(Period, "--period");
        if (Front is not null && Method != "ecofed") throw new ArgumentException("--front applies to --method ecofed only");
        if (Front is not null && !File.Exists(Front)) throw new ArgumentException($"--front: no such file {Front}");
        try
        {
            System.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"system model (--device-flops, --server-flops, --uplink, --downlink, --latency): {e.Message}");
        }
    }

    /// <summary>The partitioner of <see cref="Split"/> for <see cref="Clients"/> clients.</summary>
    public IPartitioner Partitioner() => Split switch
    {
        "iid" => new IidPartitioner(Clients),
        "shards" => new ShardPartitioner(Clients, Clients * ShardsPerClient, ShardsPerClient),
        _ => new DirichletPartitioner(Clients, Alpha),
    };

    /// <summary>The run's config.json: every option, plus what the run resolved (front, data files, pool, partition).</summary>
    public string ToJson(string front, string dataRoot, IReadOnlyList<string> trainFiles, IReadOnlyList<string> testFiles, (int Start, int End) pool, string partition)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("method", Method);
            json.WriteString("model", Model);
            if (Norm.Length > 0) json.WriteString("norm", Norm);
            json.WriteString("dataset", Dataset);
            json.WriteNumber("clients", Clients);
            json.WriteNumber("per_round", PerRound);
            json.WriteNumber("rounds", Rounds);
            json.WriteString("split", Split);
            json.WriteNumber("shards_per_client", ShardsPerClient);
            json.WriteNumber("shard_size", ShardSize ?? SamplesPerClient / ShardsPerClient);
            json.WriteNumber("alpha", Alpha);
            json.WriteNumber("samples_per_client", SamplesPerClient);
            json.WriteString("client_pool", Range(pool));
            json.WriteString("partition", partition);
            json.WriteNumber("local_epochs", LocalEpochs);
            json.WriteNumber("batch", Batch);
            json.WriteNumber("lr", Lr);
            json.WriteNumber("momentum", Momentum);
            json.WriteNumber("weight_decay", WeightDecay);
            json.WriteString("seed", Seed.ToString(CultureInfo.InvariantCulture));
            json.WriteNumber("split_index", SplitIndex);
            json.WriteNumber("bits", Bits);
            json.WriteBoolean("per_channel", PerChannel);
            json.WriteNumber("period", Period);
            json.WriteString("front", front);
            json.WriteNumber("eval_every", EvalEvery);
            json.WriteStartObject("system");
            json.WriteNumber("device_flops", System.DeviceFlops);
            json.WriteNumber("server_flops", System.ServerFlops);
            json.WriteNumber("uplink_bytes_per_second", System.UplinkBytesPerSecond);
            json.WriteNumber("downlink_bytes_per_second", System.DownlinkBytesPerSecond);
            json.WriteNumber("latency_seconds", System.Latency);
            json.WriteEndObject();
            json.WriteString("data_root", Path.GetFullPath(dataRoot));
            WriteStrings(json, "train_files", trainFiles);
            WriteStrings(json, "test_files", testFiles);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Range((int Start, int End) r) => string.Create(CultureInfo.InvariantCulture, $"{r.Start}:{r.End}");

    private static void WriteStrings(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (var v in values) json.WriteStringValue(v);
        json.WriteEndArray();
    }

    private static void Positive(int value, string option)
    {
        if (value <= 0) throw new ArgumentException($"{option} must be positive, got {value}");
    }
}
