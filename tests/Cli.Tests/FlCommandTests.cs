using System.Text.Json;
using Xunit;
using static NanoFed.Tests.Cli.ProgramTests;

namespace NanoFed.Tests.Cli;

/// <summary>`nanofed fl` and `nanofed compare` end to end on <see cref="SyntheticFashionMnist"/>: smallcnn, 4 clients, 2 rounds.</summary>
[Collection(nameof(ConsoleCollection))]
public class FlCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-fl-").FullName;

    public FlCommandTests()
    {
        SyntheticFashionMnist.Write(Path.Combine(_dir, "data"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] Tiny(string name, params string[] extra) =>
    [
        "fl", "--model", "smallcnn", "--data", Path.Combine(_dir, "data"), "--clients", "4", "--per-round", "2", "--rounds", "2",
        "--samples-per-client", "40", "--split-index", "2", "--threads", "1", "--out", Path.Combine(_dir, name), .. extra,
    ];

    [Theory]
    [InlineData("fedavg")]
    [InlineData("splitfed")]
    [InlineData("fedgkt")]
    [InlineData("localloss")]
    public void ADivergingRunStopsWithOneLineNamingTheRunAndTheRound(string method)
    {
        var r = Run(Tiny("diverge", "--method", method, "--lr", "1e6"));
        Assert.Equal(NanoFed.Cli.Program.Diverged, r.Code);
        string line = Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("diverged", StringComparison.Ordinal));
        Assert.Contains(Path.Combine(_dir, "diverge"), line, StringComparison.Ordinal);
        Assert.Matches("diverged in round 1: the global model's .* non-finite", line);
        Assert.DoesNotContain("System.", r.Err, StringComparison.Ordinal);
    }

    /// <summary>
    /// EcoFed's server at lr 1e6: on Fashion-MNIST its weights stayed finite with a test loss of order 1e16 (the loss
    /// bound stops that), on this synthetic set they overflow; either way one divergence line and exit code 3.
    /// </summary>
    [Fact]
    public void EcoFedAtAHugeLearningRateStopsWithTheDivergenceLine()
    {
        var r = Run(Tiny("diverge", "--method", "ecofed", "--lr", "1e6"));
        Assert.Equal(NanoFed.Cli.Program.Diverged, r.Code);
        string line = Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("diverged", StringComparison.Ordinal));
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(line, "diverged in round 1: the global model's (loss on t10k is .*, past 10000|.* non-finite value)"), line);
    }

    /// <summary>A round that misses an explicit quorum (both sampled devices past the round deadline) stops the run with one line naming the run, the round and the clients, and exit code 4.</summary>
    [Fact]
    public void AMissedQuorumStopsTheRunWithOneLine()
    {
        var r = Run(Tiny("quorum", "--slowdown", "50", "--round-deadline", "0.001", "--quorum", "2"));
        Assert.Equal(NanoFed.Cli.Program.QuorumMissed, r.Code);
        string line = Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("quorum", StringComparison.Ordinal));
        Assert.Matches("quorum: round 1: 0 of 2 sampled clients answered, the quorum is 2; client [0-9]+: .*missed the deadline", line);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void DropoutIsRecordedInTheConfigAndCountedPerRoundAndAllDroppedRoundsAreSkipped()
    {
        var r = Run(Tiny("dropout", "--dropout", "1"));
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(2, r.Out.Split('\n').Count(l => l.Contains("skipped: all 2 sampled clients dropped out", StringComparison.Ordinal)));
        var csv = File.ReadAllLines(Path.Combine(_dir, "dropout", "metrics.csv"));
        Assert.EndsWith(",dropped,clients", csv[0], StringComparison.Ordinal);
        Assert.All(csv.Skip(1), l => Assert.Matches("^[0-9]+,[^,]+,[^,]+,0,0,.*,2,[0-9]+ [0-9]+$", l));
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "dropout", "config.json")));
        Assert.Equal(1.0, config.RootElement.GetProperty("dropout").GetDouble());
    }

    [Fact]
    public void StragglersAreRecordedInTheConfigAndTheDevicesPastTheDeadlineNamed()
    {
        var r = Run(Tiny("stragglers", "--slowdown", "1", "--round-deadline", "1e-6"));
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(2, r.Out.Split('\n').Count(l => l.Contains("skipped: all 2 clients that worked missed the deadline; failed: client ", StringComparison.Ordinal)));
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "stragglers", "config.json")));
        var system = config.RootElement.GetProperty("system");
        Assert.Equal((1e-6, 1.0), (system.GetProperty("deadline").GetDouble(), system.GetProperty("slowdown").GetDouble()));
    }

    [Fact]
    public void TinyRunWritesItsFolderAndIsReproducible()
    {
        string a = Path.Combine(_dir, "a"), b = Path.Combine(_dir, "b");
        string[] shards = ["--split", "shards", "--shards-per-client", "2", "--client-pool", "100:500", "--seed", "4"];
        Assert.Equal(0, Run(Tiny("a", shards)).Code);
        Assert.Equal(0, Run(Tiny("b", shards)).Code);
        foreach (var f in new[] { "config.json", "metrics.csv", "metrics.json", "ledger.csv", "ledger-summary.csv", "ledger-summary.json", "partition.csv",
                     "accuracy-rounds.svg", "accuracy-bytes.svg", "accuracy-time.svg" })
            Assert.True(File.Exists(Path.Combine(a, f)), f);
        Assert.Equal(File.ReadAllText(Path.Combine(a, "metrics.csv")), File.ReadAllText(Path.Combine(b, "metrics.csv")));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(a, "metrics.csv")).Length);

        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(a, "config.json")));
        Assert.Equal("fedavg", config.RootElement.GetProperty("method").GetString());
        Assert.Equal("fashion-mnist", config.RootElement.GetProperty("dataset").GetString());
        Assert.Equal("100:500", config.RootElement.GetProperty("client-pool").GetString());
        Assert.Equal(10e9, config.RootElement.GetProperty("system").GetProperty("device-flops").GetDouble());
        using var resolved = JsonDocument.Parse(File.ReadAllText(Path.Combine(a, "data.json")));
        Assert.Equal("none", resolved.RootElement.GetProperty("front").GetString());
        Assert.Equal(20, resolved.RootElement.GetProperty("shard-size").GetInt32());

        // Four clients of 40 images; two shards each, so at most two classes unless a shard straddles a class boundary.
        var partition = File.ReadAllLines(Path.Combine(a, "partition.csv"));
        Assert.Equal(5, partition.Length);
        Assert.All(partition.Skip(1), line => Assert.Equal(40, line.Split(',').Skip(2).Sum(int.Parse)));
        Assert.Contains("Weights", File.ReadAllText(Path.Combine(a, "ledger-summary.csv")), StringComparison.Ordinal);
    }

    [Fact]
    public void OtherSeedOtherMetricsAndCompareTabulatesBoth()
    {
        Assert.Equal(0, Run(Tiny("s1", "--seed", "1")).Code);
        Assert.Equal(0, Run(Tiny("s2", "--seed", "2", "--lr", "0.05")).Code);
        Assert.NotEqual(File.ReadAllText(Path.Combine(_dir, "s1", "metrics.csv")), File.ReadAllText(Path.Combine(_dir, "s2", "metrics.csv")));
        string out_ = Path.Combine(_dir, "cmp");
        var r = Run("compare", Path.Combine(_dir, "s1"), Path.Combine(_dir, "s2"), "--out", out_, "--target", "0.05");
        Assert.Equal(0, r.Code);
        var csv = File.ReadAllLines(Path.Combine(out_, "compare.csv"));
        Assert.Equal(3, csv.Length);
        Assert.StartsWith("run,kind,method,model,data,split,steps,status,final t10k,best t10k", csv[0], StringComparison.Ordinal);
        // Both reach 5 % in round 1, so each spends the same bytes as the fedavg reference (its first run): ratio 1.
        Assert.All(csv.Skip(1), line => Assert.EndsWith(",5.00,1," + line.Split(',')[14] + "," + line.Split(',')[15] + ",1,1", line, StringComparison.Ordinal));
        Assert.Contains("| s2 | fl | fedavg | smallcnn | fashion-mnist | iid | 2/2 rounds | finished |", File.ReadAllText(Path.Combine(out_, "compare.md")), StringComparison.Ordinal);
        foreach (var f in new[] { "accuracy-step.svg", "accuracy-bytes.svg", "accuracy-time.svg" })
            Assert.Contains("<svg", File.ReadAllText(Path.Combine(out_, f)), StringComparison.Ordinal);
    }

    /// <summary>Every method runs through the command; the split methods move activations, EcoFed sends nothing down.</summary>
    [Theory]
    [InlineData("splitfed", "Gradients")]
    [InlineData("localloss", "Activations")]
    [InlineData("fedgkt", "Logits")]
    [InlineData("ecofed", "Activations")]
    public void EveryMethodRunsAndLedgersItsTraffic(string method, string kind)
    {
        Assert.Equal(0, Run(Tiny(method, "--method", method)).Code);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(_dir, method, "metrics.csv")).Length);
        Assert.Contains(kind, File.ReadAllText(Path.Combine(_dir, method, "ledger-summary.csv")), StringComparison.Ordinal);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, method, "data.json")));
        Assert.Equal(method == "ecofed" ? "none: random initialisation" : "none", config.RootElement.GetProperty("front").GetString());
    }

    [Theory]
    [InlineData("--method", "fedprox", "--method")]
    [InlineData("--split", "random", "--split")]
    [InlineData("--per-round", "5", "--per-round")]
    [InlineData("--rounds", "0", "--rounds")]
    [InlineData("--client-pool", "100:50", "--client-pool")]
    [InlineData("--client-pool", "0:100", "exceed the client pool")]
    [InlineData("--client-pool", "0:601", "reaches past the 600 training images")]
    [InlineData("--split-index", "40", "--split-index")]
    [InlineData("--bits", "9", "--bits must be 1..8, got 9")]
    [InlineData("--bits", "0", "--bits must be 1..8, got 0")]
    [InlineData("--front", "/no/such.safetensors", "--front")]
    [InlineData("--uplink", "0", "--uplink")]
    [InlineData("--batch", "ten", "--batch")]
    public void BadOptionIsOneLineAndExitCode2(string option, string value, string mention) =>
        AssertBadInput(Run(Tiny("bad", option, value)), mention);

    /// <summary>A run folder's config.json runs again with --config (same metrics); an option given explicitly overrides the file.</summary>
    [Fact]
    public void ConfigFileRunsAgainAndExplicitOptionsOverrideIt()
    {
        Assert.Equal(0, Run(Tiny("first", "--seed", "5")).Code);
        string config = Path.Combine(_dir, "first", "config.json");
        Assert.Equal(0, Run("fl", "--config", config, "--data", Path.Combine(_dir, "data"), "--threads", "1", "--out", Path.Combine(_dir, "again")).Code);
        Assert.Equal(File.ReadAllText(Path.Combine(_dir, "first", "metrics.csv")), File.ReadAllText(Path.Combine(_dir, "again", "metrics.csv")));
        Assert.Equal(0, Run("fl", "--config", config, "--rounds", "1", "--data", Path.Combine(_dir, "data"), "--threads", "1", "--out", Path.Combine(_dir, "one")).Code);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(_dir, "one", "metrics.csv")).Length);
        Assert.Contains("\"seed\": 5", File.ReadAllText(Path.Combine(_dir, "one", "config.json")), StringComparison.Ordinal);
    }

    /// <summary>A run stopped after round 2 and resumed with --rounds 3 writes the files of the uninterrupted 3-round run.</summary>
    [Theory]
    [InlineData("fedavg")]
    [InlineData("ecofed")]
    public void ResumeContinuesAtTheNextRoundAndEndsAsTheUninterruptedRun(string method)
    {
        string whole = Path.Combine(_dir, "whole"), part = Path.Combine(_dir, "part");
        string[] three = Tiny("whole", "--method", method, "--period", "2");
        three[Array.IndexOf(three, "--rounds") + 1] = "3";
        Assert.Equal(0, Run(three).Code);
        Assert.Equal(0, Run(Tiny("part", "--method", method, "--period", "2")).Code);
        var r = Run("fl", "--resume", "--out", part, "--rounds", "3", "--data", Path.Combine(_dir, "data"), "--threads", "1");
        Assert.Equal(0, r.Code);
        Assert.Contains("resuming", r.Err, StringComparison.Ordinal);
        foreach (var f in new[] { "metrics.csv", "metrics.json", "ledger.csv", "ledger-summary.csv", FlCheckpointFile })
            Assert.Equal(File.ReadAllBytes(Path.Combine(whole, f)), File.ReadAllBytes(Path.Combine(part, f)));
        AssertBadInput(Run("fl", "--resume", "--out", part, "--rounds", "3", "--data", Path.Combine(_dir, "data")), "done 3 rounds already");
        AssertBadInput(Run("fl", "--resume", "--out", part, "--rounds", "4", "--lr", "0.5", "--data", Path.Combine(_dir, "data")), "--lr cannot change");
    }

    /// <summary>A checkpoint whose global model (or, for EcoFed, server part) holds a NaN or an infinity is refused on resume, naming the tensor.</summary>
    [Theory]
    [InlineData("fedavg", float.NaN)]
    [InlineData("ecofed", float.PositiveInfinity)]
    public void ResumeRefusesACheckpointHoldingANonFiniteValue(string method, float poison)
    {
        string part = Path.Combine(_dir, "part");
        Assert.Equal(0, Run(Tiny("part", "--method", method, "--period", "2")).Code);
        string name = Poison(Path.Combine(part, FlCheckpointFile), "weight", poison);
        var r = Run("fl", "--resume", "--out", part, "--rounds", "3", "--data", Path.Combine(_dir, "data"), "--threads", "1");
        AssertBadInput(r, name);
        Assert.Contains("non-finite", r.Err, StringComparison.Ordinal);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(part, "metrics.csv")).Length);
    }

    /// <summary>EcoFed's pre-trained front with a NaN in it is refused before the run starts, naming the file and the tensor.</summary>
    [Fact]
    public void EcoFedRefusesAFrontHoldingANaN()
    {
        string front = Path.Combine(_dir, "front");
        Assert.Equal(0, Run("train", "--model", "smallcnn", "--data", Path.Combine(_dir, "data"), "--epochs", "1", "--batch", "64", "--threads", "1", "--out", front).Code);
        string file = Path.Combine(front, "final.safetensors");
        string name = Poison(file, "conv1", float.NaN);
        var r = Run(Tiny("poisoned", "--method", "ecofed", "--front", file));
        AssertBadInput(r, name);
        Assert.Contains(file, r.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "poisoned", "metrics.csv")));
    }

    private const string FlCheckpointFile = NanoFed.Federation.Fl.FlCheckpoint.FileName;

    /// <summary>
    /// fl's schedule and Nesterov: recorded in config.json, they change the run (the split method's server copies too),
    /// a stopped run resumes to the uninterrupted one's files, and a cosine run refuses a new --rounds on resume.
    /// </summary>
    [Fact]
    public void AScheduledNesterovRunIsRecordedResumesAndKeepsItsRounds()
    {
        string[] options = ["--method", "splitfed", "--schedule", "cosine", "--warmup-rounds", "1", "--nesterov"];
        Assert.Equal(0, Run(Tiny("plain", "--method", "splitfed")).Code);
        Assert.Equal(0, Run(Tiny("whole", options)).Code);
        string config = File.ReadAllText(Path.Combine(_dir, "whole", "config.json"));
        Assert.Contains("\"schedule\": \"cosine\"", config, StringComparison.Ordinal);
        Assert.Contains("\"nesterov\": true", config, StringComparison.Ordinal);
        Assert.NotEqual(File.ReadAllText(Path.Combine(_dir, "plain", "metrics.csv")), File.ReadAllText(Path.Combine(_dir, "whole", "metrics.csv")));
        Assert.Equal(0, Run(Tiny("part", [.. options, "--stop-after", "1"])).Code);
        string part = Path.Combine(_dir, "part");
        Assert.Equal(0, Run("fl", "--resume", "--out", part, "--data", Path.Combine(_dir, "data"), "--threads", "1").Code);
        foreach (var f in new[] { "metrics.csv", FlCheckpointFile })
            Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "whole", f)), File.ReadAllBytes(Path.Combine(part, f)));
        AssertBadInput(Run("fl", "--resume", "--out", part, "--rounds", "4", "--data", Path.Combine(_dir, "data")), "would change the run's cosine schedule");
        AssertBadInput(Run(Tiny("bad", "--nesterov", "--momentum", "0")), "--nesterov needs --momentum");
    }

    [Theory]
    [InlineData("{ \"per_round\": 2 }", "per_round")]
    [InlineData("{ \"lr\": \"fast\" }", "malformed fl configuration")]
    [InlineData("{ \"rounds\": 0 }", "--rounds must be positive")]
    public void BadConfigFileIsOneLineAndExitCode2(string json, string mention)
    {
        string path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, json);
        AssertBadInput(Run("fl", "--config", path, "--data", Path.Combine(_dir, "data"), "--out", Path.Combine(_dir, "bad")), mention);
    }

    /// <summary>compare reads the run folders written before the kebab-case configuration (snake_case config.json).</summary>
    [Fact]
    public void CompareReadsTheCommittedSnakeCaseRunFolders()
    {
        var up = new DirectoryInfo(AppContext.BaseDirectory);
        while (up is not null && !Directory.Exists(Path.Combine(up.FullName, "docs", "results", "fl-reduced"))) up = up.Parent;
        Assert.NotNull(up);
        string results = Path.Combine(up.FullName, "docs", "results", "fl-reduced");
        var r = Run("compare", Path.Combine(results, "fedavg-iid"), Path.Combine(results, "ecofed-iid"), "--out", Path.Combine(_dir, "old"));
        Assert.Equal(0, r.Code);
        Assert.Contains("| ecofed-iid | fl | ecofed | vgg11-ecofed | cifar10 (images 0:40000) | iid |", File.ReadAllText(Path.Combine(_dir, "old", "compare.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void CompareOfAMissingRunIsBadInput() => AssertBadInput(Run("compare", Path.Combine(_dir, "nothing")), "is not a run folder");
}
