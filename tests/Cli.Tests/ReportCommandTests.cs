using System.Text;
using Xunit;
using static NanoFed.Tests.Cli.ProgramTests;

namespace NanoFed.Tests.Cli;

/// <summary>`nanofed report` over one run of each kind: the page's tables and its plots, and bad folders refused.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class ReportCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void OneReportOverATrainAFederatedAndAGossipRun()
    {
        string data = Path.Combine(_dir, "data");
        SyntheticFashionMnist.Write(data);
        string train = Path.Combine(_dir, "train"), fl = Path.Combine(_dir, "fl"), gossip = Path.Combine(_dir, "gossip"), report = Path.Combine(_dir, "report");
        string[] common = ["--model", "smallcnn", "--data", data, "--threads", "1"];
        Assert.Equal(0, Run(["fl", "--method", "fedavg", "--clients", "4", "--per-round", "2", "--rounds", "2", "--samples-per-client", "40", .. common, "--out", fl]).Code);
        Assert.Equal(0, Run(["gossip", "--method", "sparse-push", "--agents", "2", "--graph", "ring", "--limit", "256", "--test-limit", "100", "--batch", "32", "--epochs", "2", .. common, "--out", gossip]).Code);
        Assert.Equal(0, Run(["train", "--epochs", "1", "--batch", "64", .. common, "--out", train]).Code);

        var r = Run("report", fl, gossip, train, "--out", report, "--target", "0.05");
        Assert.True(r.Code == 0, r.Err);
        string page = File.ReadAllText(Path.Combine(report, "report.md"));
        Assert.StartsWith("# fedavg vs sparse-push vs smallcnn: 3 runs", page, StringComparison.Ordinal);
        foreach (string row in new[] { "| fl | fl | fedavg | 2 |", "| gossip | gossip | sparse-push | 2 |", "| train | train | smallcnn | 1 |" })
            Assert.Contains(row, page, StringComparison.Ordinal);
        // The baseline's ratio against itself is 1; the target is low enough that the baseline reaches it.
        Assert.Matches(@"\| fl \| fl \| fedavg \| 2 \| [\d.]+ \| [\d.]+ \| [\d.]+ [kMG]B \| 1 \| [\d.]+ s \| \d \|", page);
        foreach (string plot in new[] { "accuracy-step.svg", "accuracy-bytes.svg", "accuracy-time.svg" })
        {
            Assert.Contains($"]({plot})", page, StringComparison.Ordinal);
            byte[] svg = File.ReadAllBytes(Path.Combine(report, plot));
            Assert.StartsWith("<svg", Encoding.UTF8.GetString(svg), StringComparison.Ordinal);
            foreach (string name in new[] { "fl", "gossip", "train" }) Assert.Contains($">{name}<", Encoding.UTF8.GetString(svg), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AFolderThatIsNotARunIsRefusedByName()
    {
        string empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        AssertBadInput(Run("report", empty, "--out", Path.Combine(_dir, "r")), $"{empty} is not a run folder");
        string broken = Directory.CreateDirectory(Path.Combine(_dir, "broken")).FullName;
        File.WriteAllText(Path.Combine(broken, "config.json"), "{\"method\": ");
        File.WriteAllText(Path.Combine(broken, "metrics.csv"), "round,accuracy\n1,0.5\n");
        AssertBadInput(Run("report", broken, "--out", Path.Combine(_dir, "r")), "config.json: not valid JSON");
    }
}
