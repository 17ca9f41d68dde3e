using System.CommandLine;
using System.Globalization;
using System.Text;
using NanoFed.Federation.Experiments;

namespace NanoFed.Cli;

/// <summary>
/// `nanofed compare RUN...`: one table of run folders of any kind (train, fl, gossip; read as <see cref="RunRecord"/>s):
/// kind, method, model, data, epochs or rounds done of those planned and whether the run finished, final accuracy on
/// each test set, best accuracy, bytes, simulated time, and the step, bytes and time at which each run reaches a target
/// accuracy, with the saving of an fl run against the FedAvg run of its split. Printed and written as compare.md and
/// compare.csv, with the plots of accuracy against steps, bytes and (fl) simulated time.
/// </summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "Run folders of nanofed train, fl or gossip", Arity = ArgumentArity.OneOrMore };
        var target = new Option<double?>("--target") { Description = "Target accuracy in [0, 1] (default: for fl runs, the best accuracy of the fedavg run of their split)" };
        var output = new Option<string>("--out") { Description = "Folder for compare.md, compare.csv and the plots", DefaultValueFactory = _ => "." };
        var command = new Command("compare", "Compare run folders (train, fl, gossip) in one table and one set of plots") { runs, target, output };
        command.SetAction(parse => Program.Guard(() =>
        {
            if (parse.GetValue(target) is { } t && !(t is > 0 and <= 1)) throw new ArgumentException($"--target must be in (0, 1], got {t}");
            return Compare(parse.GetValue(runs)!.Select(RunRecord.Read).ToList(), parse.GetValue(target), parse.GetValue(output)!);
        }));
        return command;
    }

    private static int Compare(List<RunRecord> runs, double? fixedTarget, string folder)
    {
        var tests = runs.SelectMany(r => r.Tests).Distinct().ToList();
        string primary = runs[0].PrimaryTest;
        string[] header =
        [
            "run", "kind", "method", "model", "data", "split", "steps", "status", .. tests.Select(t => $"final {t}"), $"best {primary}", "total bytes",
            "sim time (s)", "target", "step@target", "bytes@target", "time@target (s)", "fedavg/run bytes", "fedavg/run time",
        ];
        var cells = runs.Select(run => Cells(run, FedAvgOf(run, runs), tests, primary, fixedTarget)).ToList();
        Directory.CreateDirectory(folder);
        var md = new StringBuilder($"| {string.Join(" | ", header)} |\n|{string.Concat(header.Select(_ => " --- |"))}\n");
        foreach (var c in cells) md.Append($"| {string.Join(" | ", c.Select(x => x.Length == 0 ? "-" : x))} |\n");
        var csv = new StringBuilder(string.Join(',', header.Select(Csv)) + "\n");
        foreach (var c in cells) csv.Append(string.Join(',', c.Select(Csv)) + "\n");
        File.WriteAllText(Path.Combine(folder, "compare.md"), md.ToString());
        File.WriteAllText(Path.Combine(folder, "compare.csv"), csv.ToString());
        ReportCommand.WritePlots(runs, folder, primary, "test accuracy by run");
        Console.Write(md.ToString());
        return 0;
    }

    /// <summary>The FedAvg run an fl run is measured against: the first fedavg run of the same split, or null.</summary>
    private static RunRecord? FedAvgOf(RunRecord run, List<RunRecord> runs) => run.Kind != RunKind.Federated ? null
        : runs.FirstOrDefault(r => r.Kind == RunKind.Federated && r.Method == "fedavg" && Split(r) == Split(run));

    private static string[] Cells(RunRecord run, RunRecord? fedavg, List<string> tests, string primary, double? fixedTarget)
    {
        var inv = CultureInfo.InvariantCulture;
        string Acc(double a) => double.IsFinite(a) ? (100 * a).ToString("F2", inv) : "";
        double? target = fixedTarget ?? (fedavg is null ? null : fedavg.Best(primary));
        var reached = target is { } t ? run.FirstReaching(primary, t) : null;
        var fedavgReached = target is { } u ? fedavg?.FirstReaching(primary, u) : null;
        var last = run.Points[^1];
        string unit = run.Kind == RunKind.Federated ? "rounds" : "epochs";
        return
        [
            run.Name, Kind(run.Kind), run.Method, run.Settings.GetValueOrDefault("model") ?? "", run.Data, Split(run),
            $"{run.LastStep.ToString(inv)}/{run.Planned?.ToString(inv) ?? "?"} {unit}", run.Finished ? "finished" : "interrupted",
            .. tests.Select(x => Acc(run.Final(x))), Acc(run.Best(primary)),
            last.CumulativeBytes.ToString(inv), last.CumulativeSeconds?.ToString("F1", inv) ?? "",
            target is { } v ? Acc(v) : "",
            reached?.Step.ToString(inv) ?? "", reached?.CumulativeBytes.ToString(inv) ?? "", reached?.CumulativeSeconds?.ToString("F1", inv) ?? "",
            Ratio(fedavgReached?.CumulativeBytes, reached?.CumulativeBytes), Ratio(fedavgReached?.CumulativeSeconds, reached?.CumulativeSeconds),
        ];
    }

    /// <summary>How the training data was split among clients or agents ("" for a train run).</summary>
    private static string Split(RunRecord run) => run.Kind switch
    {
        RunKind.Federated => run.Settings.GetValueOrDefault("split") ?? "",
        RunKind.Decentralized => run.Settings.GetValueOrDefault("skew") is { Length: > 0 } skew ? $"skew {skew}"
            : run.Settings.GetValueOrDefault("alpha") is { Length: > 0 } alpha ? $"dirichlet {alpha}" : "iid",
        _ => "",
    };

    internal static string Kind(RunKind kind) => kind switch { RunKind.Train => "train", RunKind.Federated => "fl", _ => "gossip" };

    private static string Ratio(double? fedavg, double? run) =>
        fedavg is { } f && run is { } x && x > 0 ? (f / x).ToString("G4", CultureInfo.InvariantCulture) : "";

    private static string Csv(string cell) => cell.Contains(',', StringComparison.Ordinal) ? $"\"{cell}\"" : cell;
}
