using System.CommandLine;
using System.Globalization;
using System.Text;
using NanoFed.Cli.Plots;
using NanoFed.Federation.Experiments;

namespace NanoFed.Cli;

/// <summary>
/// `nanofed report RUN... --out DIR`: one Markdown page over run folders of any kind (train, fl, gossip): the settings
/// they share and those that differ, a table of final and best accuracy, bytes (with the ratio against the first run,
/// the baseline), simulated time and the step, bytes and time at which each reaches a target accuracy, and the plots
/// of accuracy against steps, bytes and (for federated runs) simulated time.
/// </summary>
internal static class ReportCommand
{
    /// <summary>Settings that say where a run read or wrote, not what it computed.</summary>
    private static readonly HashSet<string> Incidental = ["data-root", "train-files", "test-files", "partition", "front", "threads", "eval-every", "test-limit"];

    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "Run folders (train, fl or gossip); the first is the baseline of the ratios", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Folder for report.md and its plots", DefaultValueFactory = _ => "report" };
        var title = new Option<string?>("--title") { Description = "The page's title (default: the methods compared)" };
        var target = new Option<double?>("--target") { Description = "Target accuracy in (0, 1] (default: the baseline's best on the primary test set)" };
        var command = new Command("report", "Write one Markdown page comparing run folders, with plots") { runs, output, title, target };
        command.SetAction(parse => Program.Guard(() =>
        {
            if (parse.GetValue(target) is { } t && !(t is > 0 and <= 1)) throw new ArgumentException($"--target must be in (0, 1], got {t}");
            var records = parse.GetValue(runs)!.Select(RunRecord.Read).ToList();
            string folder = parse.GetValue(output)!;
            string page = Write(records, folder, parse.GetValue(title), parse.GetValue(target));
            Console.WriteLine($"report: {Path.Combine(folder, "report.md")} ({records.Count} runs, {page.Split('\n').Length} lines)");
            return 0;
        }));
        return command;
    }

    /// <summary>Writes report.md and its plots into <paramref name="folder"/>; returns the page.</summary>
    public static string Write(IReadOnlyList<RunRecord> runs, string folder, string? title, double? fixedTarget)
    {
        Directory.CreateDirectory(folder);
        var inv = CultureInfo.InvariantCulture;
        var baseline = runs[0];
        string primary = baseline.PrimaryTest;
        double target = fixedTarget ?? baseline.Best(primary);
        title ??= $"{string.Join(" vs ", runs.Select(r => r.Method).Distinct())}: {runs.Count} runs";
        var page = new StringBuilder($"# {title}\n\n");
        page.Append(inv, $"Written by `nanofed report` from {string.Join(", ", runs.Select(r => $"`{r.Folder}`"))}. The baseline of the ratios is the first run, `{baseline.Name}`; the primary test set is {primary}.\n\n");
        Settings(page, runs);
        var tests = runs.SelectMany(r => r.Tests).Distinct().ToList();
        page.Append(inv, $"## Results\n\nAccuracy in % ({Meaning(runs)}); target {100 * target:F2} % on {primary}.\n\n");
        string[] header =
        [
            "run", "kind", "method", "steps", .. tests.Select(t => $"final {t}"), $"best {primary}", "bytes", $"x vs {baseline.Name}", "sim time",
            "step@target", "bytes@target", "time@target",
        ];
        page.Append(inv, $"| {string.Join(" | ", header)} |\n|{string.Concat(header.Select(_ => " --- |"))}\n");
        double baseBytes = baseline.Points[^1].CumulativeBytes;
        foreach (var r in runs)
        {
            var last = r.Points[^1];
            var reached = r.FirstReaching(primary, target);
            string[] cells =
            [
                r.Name, CompareCommand.Kind(r.Kind), r.Method, last.Step.ToString(inv), .. tests.Select(t => Percent(r.Final(t))), Percent(r.Best(primary)),
                Bytes(last.CumulativeBytes), last.CumulativeBytes > 0 ? (baseBytes / last.CumulativeBytes).ToString("G4", inv) : "-",
                Seconds(last.CumulativeSeconds), reached?.Step.ToString(inv) ?? "-", reached is null ? "-" : Bytes(reached.CumulativeBytes),
                Seconds(reached?.CumulativeSeconds),
            ];
            page.Append(inv, $"| {string.Join(" | ", cells)} |\n");
        }
        page.Append('\n');
        page.Append("## Plots\n\n");
        foreach (var (file, axis) in WritePlots(runs, folder, primary, title))
            page.Append(CultureInfo.InvariantCulture, $"![accuracy against {axis}]({file})\n\n");
        File.WriteAllText(Path.Combine(folder, "report.md"), page.ToString());
        return page.ToString();
    }

    /// <summary>The settings every run shares, then a table of those that differ (incidental paths left out).</summary>
    private static void Settings(StringBuilder page, IReadOnlyList<RunRecord> runs)
    {
        var keys = runs.SelectMany(r => r.Settings.Keys).Distinct().Where(k => !Incidental.Contains(k)).ToList();
        var shared = keys.Where(k => runs.All(r => r.Settings.TryGetValue(k, out var v) && v == runs[0].Settings[k])).ToList();
        var differing = keys.Except(shared).ToList();
        page.Append("## Settings\n\n");
        if (shared.Count > 0) page.Append("Shared: ").Append(string.Join(", ", shared.Select(k => $"{k} = {Shown(runs[0].Settings[k])}"))).Append(".\n\n");
        if (differing.Count == 0) return;
        page.Append($"| run | {string.Join(" | ", differing)} |\n|{string.Concat(Enumerable.Repeat(" --- |", differing.Count + 1))}\n");
        foreach (var r in runs)
            page.Append($"| {r.Name} | {string.Join(" | ", differing.Select(k => r.Settings.TryGetValue(k, out var v) ? Shown(v) : "-"))} |\n");
        page.Append('\n');
    }

    /// <summary>
    /// Writes the plots of accuracy on <paramref name="primary"/> against steps, bytes (when any run sent some) and
    /// simulated time (when a run is federated) into <paramref name="folder"/>; returns each file with its x axis.
    /// </summary>
    public static List<(string File, string Axis)> WritePlots(IReadOnlyList<RunRecord> runs, string folder, string primary, string title)
    {
        bool federated = runs.Any(r => r.Kind == RunKind.Federated), decentralized = runs.Any(r => r.Kind == RunKind.Decentralized);
        string step = runs.All(r => r.Kind == RunKind.Federated) ? "round" : runs.Any(r => r.Kind == RunKind.Federated) ? "epoch or round" : "epoch";
        string bytes = federated && decentralized ? "cumulative bytes (fl: all messages; gossip: per agent; log scale)"
            : decentralized ? "cumulative bytes per agent (log scale)" : "cumulative bytes on the network (log scale)";
        var kinds = new List<(string File, Axis Axis, Func<RunPoint, double?> X)> { ("accuracy-step.svg", new Axis(step, AxisUnit.Count), p => p.Step) };
        if (runs.Any(r => r.Points[^1].CumulativeBytes > 0)) kinds.Add(("accuracy-bytes.svg", new Axis(bytes, AxisUnit.Bytes, Log: true), p => p.CumulativeBytes > 0 ? p.CumulativeBytes : null));
        if (federated) kinds.Add(("accuracy-time.svg", new Axis("simulated time", AxisUnit.Seconds, Min: 0), p => p.CumulativeSeconds));
        string subtitle = string.Join("; ", runs.Select(r => Setting(r)).Distinct()) + $"; accuracy on {primary}";
        var written = new List<(string File, string Axis)>();
        foreach (var (file, axis, x) in kinds)
        {
            var chart = new SvgChart(title, subtitle, axis, new Axis($"accuracy (%), {Meaning(runs)}", Min: 0, Max: 100));
            for (int i = 0; i < runs.Count; i++)
            {
                var points = runs[i].Points
                    .Select(p => (X: x(p), Y: 100 * p.Accuracy.GetValueOrDefault(primary, double.NaN)))
                    .Where(p => p.X is { } v && double.IsFinite(v) && double.IsFinite(p.Y)).Select(p => (p.X!.Value, p.Y)).ToList();
                chart.Series.Add(new Series(runs[i].Name, points, i));
            }
            chart.Write(Path.Combine(folder, file));
            written.Add((file, axis.Title));
        }
        return written;
    }

    private static string Setting(RunRecord r) =>
        string.Join(", ", new[] { ("dataset", "{0}"), ("model", "{0}"), ("split", "{0} split"), ("clients", "{0} clients"), ("agents", "{0} agents"), ("graph", "{0} graph") }
            .Where(k => !string.IsNullOrEmpty(r.Settings.GetValueOrDefault(k.Item1))).Select(k => string.Format(CultureInfo.InvariantCulture, k.Item2, r.Settings[k.Item1])));

    private static string Meaning(IReadOnlyList<RunRecord> runs) =>
        runs.Any(r => r.Kind == RunKind.Decentralized) ? "gossip: the agents' mean" : "the global model";

    private static string Shown(string value) => value.Length == 0 ? "(none)" : value.Replace("|", "\\|", StringComparison.Ordinal);

    private static string Percent(double accuracy) => double.IsFinite(accuracy) ? (100 * accuracy).ToString("F2", CultureInfo.InvariantCulture) : "-";

    private static string Bytes(double bytes) => bytes <= 0 || !double.IsFinite(bytes) ? "-"
        : bytes >= 1e12 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e12:F2} TB") : bytes >= 1e9 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e9:F2} GB")
        : bytes >= 1e6 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:F2} MB") : string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e3:F1} kB");

    private static string Seconds(double? seconds) => seconds is not { } s || !double.IsFinite(s) ? "-"
        : s >= 3600 ? string.Create(CultureInfo.InvariantCulture, $"{s / 3600:F2} h") : s >= 60 ? string.Create(CultureInfo.InvariantCulture, $"{s / 60:F1} min")
        : string.Create(CultureInfo.InvariantCulture, $"{s:F1} s");
}
