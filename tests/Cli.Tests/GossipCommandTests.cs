using Xunit;
using static NanoFed.Tests.Cli.ProgramTests;

namespace NanoFed.Tests.Cli;

/// <summary>`nanofed gossip` in-process on a slice of Fashion-MNIST (2 agents, smallcnn, 256 training images).</summary>
[Collection(nameof(ConsoleCollection))]
public class GossipCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-gossip-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("sgp")]
    [InlineData("sparse-push")]
    public void ADivergingGossipRunStopsWithOneLineNamingTheRunAndTheAgent(string method)
    {
        string run = Path.Combine(_dir, "diverge");
        var r = Run("gossip", "--method", method, "--agents", "2", "--graph", "ring", "--model", "smallcnn", "--data", FashionMnistRoot(),
            "--limit", "256", "--test-limit", "200", "--batch", "32", "--epochs", "2", "--lr", "1e6", "--out", run);
        Assert.Equal(NanoFed.Cli.Program.Diverged, r.Code);
        string line = Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("diverged", StringComparison.Ordinal));
        Assert.Contains(run, line, StringComparison.Ordinal);
        Assert.Matches("epoch 1, iteration [0-9]+ .*agent [0-9]+", line);
        Assert.False(File.Exists(Path.Combine(run, "checkpoint.safetensors")));
    }

    /// <summary>A gossip checkpoint in which an agent's model holds a NaN is refused on resume, naming the tensor; the run folder is left as it was.</summary>
    [Fact]
    public void ResumeRefusesACheckpointHoldingANonFiniteValue()
    {
        string run = Path.Combine(_dir, "poisoned");
        Assert.Equal(0, Run("gossip", "--method", "sgp", "--agents", "2", "--graph", "ring", "--model", "smallcnn", "--data", FashionMnistRoot(),
            "--limit", "256", "--test-limit", "200", "--batch", "32", "--epochs", "2", "--stop-after", "1", "--out", run).Code);
        string checkpoint = Path.Combine(run, "checkpoint.safetensors");
        string name = Poison(checkpoint, "weight", float.NaN);
        var metrics = File.ReadAllBytes(Path.Combine(run, "metrics.csv"));
        var r = Run("gossip", "--out", run, "--data", FashionMnistRoot(), "--resume");
        AssertBadInput(r, name);
        Assert.Contains("non-finite", r.Err, StringComparison.Ordinal);
        Assert.Equal(metrics, File.ReadAllBytes(Path.Combine(run, "metrics.csv")));
    }

    [Fact]
    public void ScspRunWritesItsFolderAndAResumedRunEqualsAnUninterruptedOne()
    {
        string data = FashionMnistRoot();
        string whole = Path.Combine(_dir, "whole"), parts = Path.Combine(_dir, "parts");
        string[] common = ["gossip", "--method", "scsp", "--agents", "2", "--graph", "ring", "--model", "smallcnn", "--data", data, "--limit", "256",
            "--test-limit", "200", "--batch", "32", "--keep", "0.1", "--gamma", "0.2", "--consensus-rounds", "3", "--consensus-bn", "gossip", "--seed", "3", "--epochs", "2"];
        var run = Run([.. common, "--out", whole]);
        Assert.True(run.Code == 0, run.Err);
        foreach (var f in new[] { "config.json", "metrics.csv", "metrics.json", "checkpoint.safetensors", "accuracy.svg", "consensus.svg" })
            Assert.True(File.Exists(Path.Combine(whole, f)), f);
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(whole, "accuracy.svg")), StringComparison.Ordinal);
        Assert.Contains("agents after 3 consensus rounds", File.ReadAllText(Path.Combine(whole, "accuracy.svg")), StringComparison.Ordinal);
        Assert.Contains("scsp, keep 10%, gamma 0.2: 2 agents on the ring graph", File.ReadAllText(Path.Combine(whole, "consensus.svg")), StringComparison.Ordinal);
        var csv = File.ReadAllLines(Path.Combine(whole, "metrics.csv"));
        Assert.Equal(4, csv.Length);
        Assert.StartsWith("consensus,2,", csv[3], StringComparison.Ordinal);
        Assert.Contains("compression_ratio_formula", File.ReadAllText(Path.Combine(whole, "metrics.json")), StringComparison.Ordinal);
        // keep 10% with 32-bit indices: 8 bytes per kept value against 4 per dense value, so 5x fewer bytes than dense SGP
        // (with the wire headers of the smallcnn's few tensors it still rounds to 5.00).
        Assert.EndsWith(",5.00", csv[1], StringComparison.Ordinal);

        // The checkpoint holds the models after the consensus phase: scored again, they give the consensus row's figures
        // (t10k averaged, mean, min, max), and a finished SCSP run is not trained on.
        var score = Run("gossip", "--out", whole, "--data", data, "--resume", "--evaluate");
        Assert.True(score.Code == 0, score.Err);
        Assert.Equal(["2", "t10k", .. csv[3].Split(',')[11..15]], File.ReadAllLines(Path.Combine(whole, "evaluation.csv"))[1].Split(','));
        AssertBadInput(Run("gossip", "--out", whole, "--data", data, "--resume", "--epochs", "3"), "after the consensus phase");

        Assert.Equal(0, Run([.. common, "--out", parts, "--stop-after", "1"]).Code);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(parts, "metrics.csv")).Length);
        AssertBadInput(Run("gossip", "--out", parts, "--data", data, "--resume", "--keep", "0.5"), "--keep");
        Assert.Equal(0, Run("gossip", "--out", parts, "--data", data, "--resume").Code);
        Assert.Equal(csv, File.ReadAllLines(Path.Combine(parts, "metrics.csv")));
    }

    /// <summary>The undirected-graph baselines run through the command; CHOCO at keep 10% sends 5x fewer bytes than dense SGP.</summary>
    [Theory]
    [InlineData("dpsgd", "1.00")]
    [InlineData("choco", "5.00")]
    public void UndirectedBaselinesRun(string method, string ratio)
    {
        string output = Path.Combine(_dir, method);
        var run = Run("gossip", "--method", method, "--agents", "4", "--graph", "undirected-ring", "--model", "smallcnn", "--data", FashionMnistRoot(),
            "--limit", "256", "--test-limit", "100", "--batch", "32", "--keep", "0.1", "--gamma", "0.3", "--epochs", "1", "--out", output);
        Assert.True(run.Code == 0, run.Err);
        var csv = File.ReadAllLines(Path.Combine(output, "metrics.csv"));
        Assert.Equal(2, csv.Length);
        Assert.EndsWith("," + ratio, csv[1], StringComparison.Ordinal);

        // --evaluate scores the checkpoint again: the same four figures as the epoch's row (t10k averaged, mean, min, max).
        var score = Run("gossip", "--out", output, "--data", FashionMnistRoot(), "--resume", "--evaluate");
        Assert.True(score.Code == 0, score.Err);
        var evaluation = File.ReadAllLines(Path.Combine(output, "evaluation.csv"));
        Assert.Equal("epoch,test_set,averaged,mean,min,max", evaluation[0]);
        Assert.Equal(["1", "t10k", .. csv[1].Split(',')[11..15]], evaluation[1].Split(','));
    }

    /// <summary>--config runs a configuration file (missing keys take their defaults); an option given too overrides the file.</summary>
    [Fact]
    public void ConfigFileRunsWithExplicitOptionsOverridingIt()
    {
        string file = Path.Combine(_dir, "run.json"), output = Path.Combine(_dir, "configured");
        File.WriteAllText(file, """{ "method": "sparse-push", "agents": 2, "graph": "ring", "model": "smallcnn", "dataset": "fashion-mnist", "limit": 256, "test-limit": 100, "batch": 32, "keep": 0.1, "epochs": 3 }""");
        var run = Run("gossip", "--config", file, "--epochs", "1", "--data", FashionMnistRoot(), "--out", output);
        Assert.True(run.Code == 0, run.Err);
        var saved = NanoFed.Federation.Experiments.GossipConfig.Read(Path.Combine(output, "config.json"));
        Assert.Equal(("sparse-push", 2, 0.1, 1), (saved.Method, saved.Agents, saved.Keep, saved.Epochs));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(output, "metrics.csv")).Length);
        AssertBadInput(Run("gossip", "--config", file, "--resume", "--out", output), "--config");
        AssertBadInput(Run("gossip", "--config", Path.Combine(_dir, "none.json"), "--out", output), "none.json");
        File.WriteAllText(file, """{ "method": "sgp", "agnets": 4 }""");
        AssertBadInput(Run("gossip", "--config", file, "--out", output), "unknown key 'agnets'");
    }

    [Fact]
    public void EvaluateWithoutResumeIsBadInput() => AssertBadInput(Run("gossip", "--evaluate", "--out", Path.Combine(_dir, "none")), "--evaluate");

    [Fact]
    public void DpsgdOnADirectedGraphIsBadInput() =>
        AssertBadInput(Run("gossip", "--method", "dpsgd", "--graph", "ring", "--agents", "4", "--model", "smallcnn", "--data", FashionMnistRoot(),
            "--limit", "256", "--out", Path.Combine(_dir, "directed")), "not symmetric");

    [Fact]
    public void OutOfRangeKeepIsBadInput() => AssertBadInput(Run("gossip", "--keep", "2", "--data", "/"), "--keep");

    [Fact]
    public void UnknownConsensusBatchNormIsBadInput() => AssertBadInput(Run("gossip", "--consensus-bn", "shared", "--data", "/"), "--consensus-bn");

    [Fact]
    public void SkewAndAlphaTogetherAreBadInput() => AssertBadInput(Run("gossip", "--skew", "0.5", "--alpha", "1", "--data", "/"), "--skew and --alpha");

    [Fact]
    public void ResumeWithoutAFolderIsBadInput() => AssertBadInput(Run("gossip", "--resume", "--out", Path.Combine(Path.GetTempPath(), "no-such-nanofed-run")), "--resume");
}
