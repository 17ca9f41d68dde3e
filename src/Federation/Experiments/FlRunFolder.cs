using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NanoFed.Federation.Fl;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Partitioning;
using NanoFed.Nets.Checkpoints;
using NanoFed.Nets.Data;

namespace NanoFed.Federation.Experiments;

/// <summary>
/// The files of a federated run's folder: config.json (the <see cref="FlConfig"/>, which runs again with --config),
/// data.json (what the run resolved: data root and files, client pool, partition summary, device front),
/// partition.csv, and after every round metrics.csv/json and ledger-summary.csv/json, and ledger.csv at the end.
/// Every file is rewritten whole, so the folder always holds the rounds done.
/// </summary>
public sealed class FlRunFolder(string path)
{
    /// <summary>The folder.</summary>
    public string Path { get; } = path ?? throw new ArgumentNullException(nameof(path));

    /// <summary>The configuration file of the run in <paramref name="folder"/>.</summary>
    public static string ConfigPath(string folder) => System.IO.Path.Combine(folder, "config.json");

    /// <summary>Creates the folder and writes what is known before the first round.</summary>
    public void Start(FlExperiment run)
    {
        ArgumentNullException.ThrowIfNull(run);
        Directory.CreateDirectory(Path);
        AtomicFile.WriteAllText(ConfigPath(Path), run.Config.ToJson() + "\n");
        AtomicFile.WriteAllText(In(ExperimentData.DataRecordFile), DataJson(run) + "\n");
        AtomicFile.WriteAllText(In("partition.csv"), PartitionCsv(run.Partition));
    }

    /// <summary>Rewrites the metrics and the ledger summary after a round.</summary>
    public void WriteRound(FlRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var history = runner.History;
        AtomicFile.WriteAllText(In("metrics.csv"), FlRoundMetrics.ToCsv(history));
        AtomicFile.WriteAllText(In("metrics.json"), FlRoundMetrics.ToJson(history, indented: true) + "\n");
        var summary = LedgerSummary.Of(runner.Ledger, history.Sum(m => (long)m.Clients.Count - m.Dropped));
        AtomicFile.WriteAllText(In("ledger-summary.csv"), summary.ToCsv());
        AtomicFile.WriteAllText(In("ledger-summary.json"), summary.ToJson() + "\n");
    }

    /// <summary>Writes every message of the run (ledger.csv).</summary>
    public void WriteLedger(TrafficLedger ledger)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        AtomicFile.WriteAllText(In("ledger.csv"), ledger.ToCsv());
    }

    /// <summary>
    /// Whether the folder's files hold every round of <paramref name="runner"/> (restored from the folder's checkpoint):
    /// metrics.csv has its rounds and ledger.csv, written last, its messages.
    /// </summary>
    public bool Holds(FlRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        return Same(In("metrics.csv"), FlRoundMetrics.ToCsv(runner.History)) && Same(In("ledger.csv"), runner.Ledger.ToCsv());
    }

    private static bool Same(string path, string text) => System.IO.File.Exists(path) && System.IO.File.ReadAllText(path) == text;

    private string In(string name) => System.IO.Path.Combine(Path, name);

    private static string DataJson(FlExperiment run)
    {
        string dataset = run.Config.ResolvedDataset;
        string[] trainFiles = dataset == "cifar10" ? [.. Cifar10.TrainFiles] : ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"];
        string[] testFiles = dataset == "cifar10" ? ExperimentData.TestFileNames(dataset, run.DataRoot, run.Config.TestFiles) : ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("data-root", System.IO.Path.GetFullPath(run.DataRoot));
            WriteStrings(json, "train-files", trainFiles);
            WriteStrings(json, "test-files", testFiles);
            json.WriteString("client-pool", string.Create(CultureInfo.InvariantCulture, $"{run.Pool.Start}:{run.Pool.End}"));
            json.WriteNumber("shard-size", run.Config.ShardSize ?? run.Config.SamplesPerClient / run.Config.ShardsPerClient);
            json.WriteString("partition", run.Partition.Summary());
            json.WriteString("front", run.FrontDescription);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (var v in values) json.WriteStringValue(v);
        json.WriteEndArray();
    }

    private static string PartitionCsv(Partition partition)
    {
        var sb = new StringBuilder("client,size");
        for (int c = 0; c < partition.Classes; c++) sb.Append(CultureInfo.InvariantCulture, $",class_{c}");
        sb.Append('\n');
        for (int i = 0; i < partition.Clients; i++)
            sb.Append(CultureInfo.InvariantCulture, $"{i},{partition.Indices[i].Length},{string.Join(',', partition.Histograms[i])}\n");
        return sb.ToString();
    }
}
