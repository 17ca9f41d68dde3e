using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NanoFed.Federation.Fl;

namespace NanoFed.Cli;

/// <summary>
/// `nanofed compare RUN...`: one table of several `nanofed fl` run folders (final and best accuracy, bytes, simulated
/// time, and rounds, bytes and time to a target accuracy with the saving against FedAvg), printed and written as
/// compare.md and compare.csv, and the three accuracy plots with every run.
/// </summary>
internal static class CompareCommand
{
    private sealed record Run(string Name, string Method, string Split, string Setting, List<FlRoundMetrics> Rounds);

    private sealed record Row(Run Run, double? Target, FlRoundMetrics? Reached, FlRoundMetrics? FedAvgReached);

    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "Run folders of nanofed fl", Arity = ArgumentArity.OneOrMore };
        var target = new Option<double?>("--target") { Description = "Target accuracy in [0, 1] (default: per split, the best accuracy of its fedavg run)" };
        var output = new Option<string>("--out") { Description = "Folder for compare.md, compare.csv and the plots", DefaultValueFactory = _ => "." };
        var command = new Command("compare", "Compare federated runs in one table and one plot") { runs, target, output };
        command.SetAction(parse => Program.Guard(() =>
        {
            if (parse.GetValue(target) is { } t && !(t is > 0 and <= 1)) throw new ArgumentException($"--target must be in (0, 1], got {t}");
            return Compare(parse.GetValue(runs)!.Select(Read).ToList(), parse.GetValue(target), parse.GetValue(output)!);
        }));
        return command;
    }

    private static Run Read(string folder)
    {
        string config = Path.Combine(folder, "config.json"), metrics = Path.Combine(folder, "metrics.csv");
        if (!File.Exists(config) || !File.Exists(metrics)) throw new ArgumentException($"{folder} is not an fl run folder (config.json and metrics.csv expected)");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(config));
            var rounds = FlRoundMetrics.FromCsv(File.ReadAllText(metrics));
            if (rounds.Count == 0) throw new ArgumentException($"{metrics} holds no rounds");
            var root = doc.RootElement;
            string split = root.GetProperty("split").GetString()!;
            string setting = $"{root.GetProperty("dataset").GetString()}, {root.GetProperty("model").GetString()}, {root.GetProperty("clients").GetInt32()} clients";
            return new Run(Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar)),
                root.GetProperty("method").GetString()!, split, setting, rounds);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"{folder}: {e.Message}", e);
        }
    }

    private static int Compare(List<Run> runs, double? fixedTarget, string folder)
    {
        var rows = runs.Select(run =>
        {
            var fedavg = runs.FirstOrDefault(r => r.Method == "fedavg" && r.Split == run.Split);
            double? target = fixedTarget ?? (fedavg is null ? null : TargetAccuracy.Best(fedavg.Rounds));
            return target is { } t
                ? new Row(run, t, TargetAccuracy.FirstReaching(run.Rounds, t), fedavg is null ? null : TargetAccuracy.FirstReaching(fedavg.Rounds, t))
                : new Row(run, null, null, null);
        }).ToList();
        var tests = FlRoundMetrics.TestNames(runs.SelectMany(r => r.Rounds));
        string[] header =
        [
            "run", "method", "split", "rounds", .. tests.Select(t => $"final {t}"), "best", "total bytes", "bytes/client/round", "sim time (s)",
            "target", "rounds@target", "bytes@target", "time@target (s)", "fedavg/run bytes", "fedavg/run time",
        ];
        var cells = rows.Select(row => Cells(row, tests)).ToList();
        Directory.CreateDirectory(folder);
        var md = new StringBuilder($"| {string.Join(" | ", header)} |\n|{string.Concat(header.Select(_ => " --- |"))}\n");
        foreach (var c in cells) md.Append($"| {string.Join(" | ", c.Select(x => x.Length == 0 ? "-" : x))} |\n");
        var csv = new StringBuilder(string.Join(',', header.Select(Csv)) + "\n");
        foreach (var c in cells) csv.Append(string.Join(',', c.Select(Csv)) + "\n");
        File.WriteAllText(Path.Combine(folder, "compare.md"), md.ToString());
        File.WriteAllText(Path.Combine(folder, "compare.csv"), csv.ToString());
        string splits = string.Join(" and ", runs.Select(r => r.Split).Distinct()) + (runs.Select(r => r.Split).Distinct().Count() > 1 ? " splits" : " split");
        FlPlots.Write(folder, runs.Select(r => (r.Name, (IReadOnlyList<FlRoundMetrics>)r.Rounds)).ToList(), "test accuracy by method",
            $"{string.Join("; ", runs.Select(r => r.Setting).Distinct())}, {splits}");
        Console.Write(md.ToString());
        return 0;
    }

    private static string[] Cells(Row row, List<string> tests)
    {
        var r = row.Run.Rounds;
        var last = r[^1];
        var inv = CultureInfo.InvariantCulture;
        string Acc(double a) => double.IsFinite(a) ? (100 * a).ToString("F2", inv) : "";
        var finals = tests.Select(t => r.LastOrDefault(m => m.Tests.Any(x => x.Name == t))?.Tests.First(x => x.Name == t).Accuracy ?? double.NaN);
        var reached = row.Reached;
        var fedavg = row.FedAvgReached;
        return
        [
            row.Run.Name, row.Run.Method, row.Run.Split, last.Round.ToString(inv), .. finals.Select(Acc), Acc(TargetAccuracy.Best(r)),
            last.CumulativeBytes.ToString(inv), TargetAccuracy.BytesPerClientRound(r).ToString("F0", inv), last.CumulativeSeconds.ToString("F1", inv),
            row.Target is { } t ? Acc(t) : "",
            reached?.Round.ToString(inv) ?? "", reached?.CumulativeBytes.ToString(inv) ?? "", reached?.CumulativeSeconds.ToString("F1", inv) ?? "",
            Ratio(fedavg?.CumulativeBytes, reached?.CumulativeBytes), Ratio(fedavg?.CumulativeSeconds, reached?.CumulativeSeconds),
        ];
    }

    private static string Ratio(double? fedavg, double? run) =>
        fedavg is { } f && run is { } x && x > 0 ? (f / x).ToString("G4", CultureInfo.InvariantCulture) : "";

    private static string Csv(string cell) => cell.Contains(',', StringComparison.Ordinal) ? $"\"{cell}\"" : cell;
}
