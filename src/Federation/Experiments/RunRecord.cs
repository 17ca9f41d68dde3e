using System.Globalization;
using System.Text.Json;

namespace NanoFed.Federation.Experiments;

/// <summary>What wrote a run folder.</summary>
public enum RunKind
{
    /// <summary><c>nanofed train</c>: one model, one point per epoch.</summary>
    Train,

    /// <summary><c>nanofed fl</c>: one point per round; bytes are the whole network's.</summary>
    Federated,

    /// <summary><c>nanofed gossip</c>: one point per epoch (and SCSP's consensus phase); bytes are per agent, accuracy the agents' mean.</summary>
    Decentralized,
}

/// <summary>One row of a run's metrics: where the run was and what it scored.</summary>
/// <param name="Step">Epoch or round.</param>
/// <param name="Accuracy">Accuracy in [0, 1] per test set (NaN where that row did not evaluate it).</param>
/// <param name="CumulativeBytes">Bytes sent so far (federated: all messages; decentralized: per agent; train: 0).</param>
/// <param name="CumulativeSeconds">Simulated time so far (federated runs only).</param>
public sealed record RunPoint(double Step, IReadOnlyDictionary<string, double> Accuracy, double CumulativeBytes, double? CumulativeSeconds);

/// <summary>
/// A finished or interrupted run folder of any of the run commands, read back from its config.json and metrics.csv
/// for comparisons and reports: its settings (keys in one style, kebab-case, whatever style the folder was written
/// in) and its metrics as points.
/// </summary>
public sealed record RunRecord(string Folder, string Name, RunKind Kind, IReadOnlyDictionary<string, string> Settings, IReadOnlyList<string> Tests, IReadOnlyList<RunPoint> Points)
{
    /// <summary>The method (fl, gossip) or the model (train).</summary>
    public string Method => Settings.GetValueOrDefault("method") ?? Settings.GetValueOrDefault("model") ?? Name;

    /// <summary>The epochs (train, gossip) or rounds (fl) the run was configured for, or null when its config.json does not say.</summary>
    public int? Planned => int.TryParse(Settings.GetValueOrDefault(Kind == RunKind.Federated ? "rounds" : "epochs"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;

    /// <summary>The last epoch or round the metrics hold.</summary>
    public double LastStep => Points.Max(p => p.Step);

    /// <summary>Whether the run did every planned epoch or round (false: stopped or interrupted; --resume continues it).</summary>
    public bool Finished => Planned is { } planned && LastStep >= planned;

    /// <summary>The data the run trained on: the data set, and the slice of its training images when it used one.</summary>
    public string Data
    {
        get
        {
            string dataset = Settings.GetValueOrDefault("dataset") is { Length: > 0 } d ? d : "?";
            string? slice = Settings.GetValueOrDefault("train-range") is { Length: > 0 } range ? $"images {range}"
                : Settings.GetValueOrDefault("client-pool") is { Length: > 0 } pool ? $"images {pool}"
                : Settings.GetValueOrDefault("limit") is { Length: > 0 } limit && limit != "0" ? $"first {limit} images" : null;
            return slice is null ? dataset : $"{dataset} ({slice})";
        }
    }

    /// <summary>The primary test set: the first the run names.</summary>
    public string PrimaryTest => Tests[0];

    /// <summary>The last point's accuracy on <paramref name="test"/> that is a number, or NaN.</summary>
    public double Final(string test) => Points.Select(p => p.Accuracy.GetValueOrDefault(test, double.NaN)).LastOrDefault(double.IsFinite, double.NaN);

    /// <summary>The best accuracy on <paramref name="test"/> over the run, or NaN.</summary>
    public double Best(string test) => Points.Select(p => p.Accuracy.GetValueOrDefault(test, double.NaN)).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max();

    /// <summary>The first point whose accuracy on <paramref name="test"/> reaches <paramref name="target"/>, or null.</summary>
    public RunPoint? FirstReaching(string test, double target) => Points.FirstOrDefault(p => p.Accuracy.GetValueOrDefault(test, double.NaN) >= target);

    /// <summary>Reads <paramref name="folder"/>; a one-line <see cref="ArgumentException"/> names what is missing or malformed.</summary>
    public static RunRecord Read(string folder)
    {
        string config = Path.Combine(folder, "config.json"), metrics = Path.Combine(folder, "metrics.csv");
        if (!File.Exists(config) || !File.Exists(metrics))
            throw new ArgumentException($"{folder} is not a run folder (config.json and metrics.csv expected)");
        string name = Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar));
        Dictionary<string, string> settings;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(config));
            settings = new Dictionary<string, string>(StringComparer.Ordinal);
            Flatten(doc.RootElement, "", settings);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{config}: not valid JSON ({e.Message})");
        }
        string[] lines = File.ReadAllLines(metrics).Where(l => l.Length > 0).ToArray();
        if (lines.Length < 2) throw new ArgumentException($"{metrics} holds no rows");
        string[] header = lines[0].Split(',');
        RunKind kind = header[0] switch
        {
            "round" => RunKind.Federated,
            "phase" => RunKind.Decentralized,
            "epoch" => RunKind.Train,
            _ => throw new ArgumentException($"{metrics}: unknown metrics layout (first column '{header[0]}')"),
        };
        // The accuracy columns of each kind: fl NAME_accuracy, gossip NAME_mean (the agents' mean), train NAME_acc.
        string suffix = kind switch { RunKind.Federated => "_accuracy", RunKind.Decentralized => "_mean", _ => "_acc" };
        var tests = header.Select((h, i) => (h, i)).Where(c => c.h.EndsWith(suffix, StringComparison.Ordinal) && c.h != "train" + suffix)
            .Select(c => (Name: c.h[..^suffix.Length], Column: c.i)).ToList();
        if (tests.Count == 0) throw new ArgumentException($"{metrics}: no test accuracy columns (*{suffix})");
        int stepColumn = Array.IndexOf(header, kind == RunKind.Federated ? "round" : "epoch");
        int bytesColumn = Array.IndexOf(header, kind == RunKind.Decentralized ? "cumulative_bytes_per_agent" : "cumulative_bytes");
        int secondsColumn = kind == RunKind.Federated ? Array.IndexOf(header, "cumulative_seconds") : -1;
        var points = new List<RunPoint>();
        for (int row = 1; row < lines.Length; row++)
        {
            string[] cells = lines[row].Split(',');
            double Cell(int column) => column >= 0 && column < cells.Length && double.TryParse(cells[column], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;
            if (double.IsNaN(Cell(stepColumn))) throw new ArgumentException($"{metrics}, line {row + 1}: no {header[stepColumn]}");
            points.Add(new RunPoint(Cell(stepColumn), tests.ToDictionary(t => t.Name, t => Cell(t.Column)),
                bytesColumn >= 0 ? Cell(bytesColumn) : 0, secondsColumn >= 0 ? Cell(secondsColumn) : null));
        }
        return new RunRecord(folder, name, kind, settings, tests.Select(t => t.Name).ToList(), points);
    }

    private static void Flatten(JsonElement e, string prefix, Dictionary<string, string> into)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject()) Flatten(p.Value, prefix + p.Name.Replace('_', '-') + (p.Value.ValueKind == JsonValueKind.Object ? "." : ""), into);
            return;
        }
        into[prefix] = e.ValueKind switch
        {
            JsonValueKind.String => e.GetString()!,
            JsonValueKind.Null => "",
            JsonValueKind.Array => string.Join(",", e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : x.GetRawText())),
            _ => e.GetRawText(),
        };
    }
}
