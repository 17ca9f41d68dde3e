using System.Globalization;
using System.Text;
using System.Text.Json;
using NanoFed.Nets.Training;

namespace NanoFed.Federation.Fl;

/// <summary>One round's metrics as the <see cref="FlRunner"/> reports them.</summary>
/// <param name="Round">Round number (1-based).</param>
/// <param name="Clients">The sampled clients.</param>
/// <param name="Accuracy">Global-model accuracy on the first test set after the round.</param>
/// <param name="Loss">Global-model mean cross-entropy on the first test set after the round.</param>
/// <param name="Bytes">Bytes the ledger recorded in this round.</param>
/// <param name="CumulativeBytes">Bytes the ledger recorded up to and including this round.</param>
/// <param name="Seconds">Simulated time of this round (its critical path).</param>
/// <param name="CumulativeSeconds">Simulated time up to and including this round.</param>
/// <param name="Tests">The global model on the test sets evaluated after the round (the first always; the others as
/// <see cref="FlRunner.EvaluateEvery"/> says), in the runner's order.</param>
public sealed record FlRoundMetrics(int Round, IReadOnlyList<int> Clients, double Accuracy, double Loss, long Bytes, long CumulativeBytes,
    double Seconds, double CumulativeSeconds, IReadOnlyList<TestMetrics> Tests)
{
    private const string FixedHeader = "round,accuracy,loss,bytes,cumulative_bytes,seconds,cumulative_seconds";

    /// <summary>The sampled clients that did not answer in the round (not in the CSV or JSON: a run that stops at a
    /// failure, the default quorum, has none).</summary>
    public IReadOnlyList<ClientFailure> Failures { get; init; } = [];

    /// <summary>How many sampled clients dropped out of the round before it started (<see cref="FlRunner.Dropout"/>).</summary>
    public int Dropped { get; init; }

    /// <summary>Why the round was skipped (too few clients left after dropout), or null when it ran; not in the CSV or
    /// JSON, where a skipped round shows as one that sent no byte.</summary>
    public string? Skipped { get; init; }

    /// <summary>
    /// The rounds as CSV (invariant culture, round-trip doubles; clients separated by spaces), with an accuracy and a
    /// loss column per test set named after it, in order of first appearance (a round that did not evaluate a test
    /// set leaves its two cells empty), then the clients that dropped out (a count) and the sampled clients.
    /// </summary>
    public static string ToCsv(IEnumerable<FlRoundMetrics> rounds)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        var list = rounds.ToList();
        var names = TestNames(list);
        var sb = new StringBuilder(FixedHeader);
        foreach (var name in names) sb.Append(CultureInfo.InvariantCulture, $",{name}_accuracy,{name}_loss");
        sb.Append(",dropped,clients\n");
        foreach (var r in list)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"{r.Round},{r.Accuracy:R},{r.Loss:R},{r.Bytes},{r.CumulativeBytes},{r.Seconds:R},{r.CumulativeSeconds:R}");
            foreach (var name in names)
            {
                if (r.Tests.FirstOrDefault(t => t.Name == name) is { } t) sb.Append(CultureInfo.InvariantCulture, $",{t.Accuracy:R},{t.Loss:R}");
                else sb.Append(",,");
            }
            sb.Append(CultureInfo.InvariantCulture, $",{r.Dropped},{string.Join(' ', r.Clients)}\n");
        }
        return sb.ToString();
    }

    /// <summary>
    /// Parses <see cref="ToCsv"/>'s output, also as written before it had a dropped column (test sets' image counts are
    /// not in the CSV and come back as 0); throws
    /// <see cref="FormatException"/> naming the line at fault.
    /// </summary>
    public static List<FlRoundMetrics> FromCsv(string csv)
    {
        ArgumentNullException.ThrowIfNull(csv);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || !lines[0].StartsWith(FixedHeader + ",", StringComparison.Ordinal) || !lines[0].EndsWith(",clients", StringComparison.Ordinal))
            throw new FormatException($"not an FL metrics CSV (the header must start with '{FixedHeader}' and end with 'clients')");
        var header = lines[0].Split(',');
        int dropped = header[^2] == "dropped" ? header.Length - 2 : -1;
        int tests = (header.Length - 8 - (dropped < 0 ? 0 : 1)) / 2;
        var names = Enumerable.Range(0, tests).Select(t => header[7 + 2 * t][..^"_accuracy".Length]).ToArray();
        var result = new List<FlRoundMetrics>(lines.Length - 1);
        for (int i = 1; i < lines.Length; i++)
        {
            var f = lines[i].Split(',');
            if (f.Length != header.Length) throw new FormatException($"metrics line {i + 1} has {f.Length} fields, the header {header.Length}");
            try
            {
                var evaluated = new List<TestMetrics>();
                for (int t = 0; t < tests; t++)
                    if (f[7 + 2 * t].Length > 0) evaluated.Add(new TestMetrics(names[t], Double(f[8 + 2 * t]), Double(f[7 + 2 * t]), 0));
                var clients = f[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
                result.Add(new FlRoundMetrics(int.Parse(f[0], CultureInfo.InvariantCulture), clients, Double(f[1]), Double(f[2]),
                    long.Parse(f[3], CultureInfo.InvariantCulture), long.Parse(f[4], CultureInfo.InvariantCulture), Double(f[5]), Double(f[6]), evaluated)
                {
                    Dropped = dropped < 0 ? 0 : int.Parse(f[dropped], CultureInfo.InvariantCulture),
                });
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new FormatException($"metrics line {i + 1}: {e.Message}", e);
            }
        }
        return result;
    }

    /// <summary>The rounds as a JSON array (one object per round; "tests" lists only the test sets evaluated).</summary>
    public static string ToJson(IEnumerable<FlRoundMetrics> rounds, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartArray();
            foreach (var r in rounds)
            {
                w.WriteStartObject();
                w.WriteNumber("round", r.Round);
                w.WriteNumber("accuracy", r.Accuracy);
                w.WriteNumber("loss", r.Loss);
                w.WriteNumber("bytes", r.Bytes);
                w.WriteNumber("cumulative_bytes", r.CumulativeBytes);
                w.WriteNumber("seconds", r.Seconds);
                w.WriteNumber("cumulative_seconds", r.CumulativeSeconds);
                w.WriteNumber("dropped", r.Dropped);
                w.WriteStartArray("tests");
                foreach (var t in r.Tests)
                {
                    w.WriteStartObject();
                    w.WriteString("name", t.Name);
                    w.WriteNumber("accuracy", t.Accuracy);
                    w.WriteNumber("loss", t.Loss);
                    w.WriteNumber("count", t.Count);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("clients");
                foreach (int c in r.Clients) w.WriteNumberValue(c);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The test-set names of <paramref name="rounds"/> in order of first appearance.</summary>
    public static List<string> TestNames(IEnumerable<FlRoundMetrics> rounds) =>
        (rounds ?? throw new ArgumentNullException(nameof(rounds))).SelectMany(r => r.Tests.Select(t => t.Name)).Distinct().ToList();

    private static double Double(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
}
