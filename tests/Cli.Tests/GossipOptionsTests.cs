using NanoFed.Federation.Experiments;
using Xunit;
using static NanoFed.Tests.Cli.ProgramTests;

namespace NanoFed.Tests.Cli;

/// <summary>Bad values of gossip's compression options are one-line errors naming the option.</summary>
[Collection(nameof(ConsoleCollection))]
public class GossipOptionsTests
{
    [Theory]
    [InlineData("1")]
    [InlineData("9")]
    [InlineData("16")]
    public void ValueBitsOutsideTwoToEightOr32AreBadInput(string bits) =>
        AssertBadInput(Run("gossip", "--method", "sparse-push", "--value-bits", bits, "--data", "/"), "--value-bits");

    [Fact]
    public void KeepWarmupSendsMoreInItsEpochsAndTheSameAfter()
    {
        string dir = Directory.CreateTempSubdirectory("nanofed-warmup-").FullName;
        try
        {
            long[] Bytes(string name, params string[] extra)
            {
                string run = Path.Combine(dir, name);
                return EpochBytes(run, ["gossip", "--method", "sparse-push", "--agents", "2", "--graph", "ring", "--model", "smallcnn", "--data", FashionMnistRoot(),
                    "--limit", "256", "--test-limit", "100", "--batch", "32", "--keep", "0.1", "--value-bits", "4", "--epochs", "2", "--out", run, .. extra]);
            }
            var plain = Bytes("plain");
            var warm = Bytes("warm", "--keep-warmup-epochs", "1", "--keep-start", "1");
            Assert.True(warm[0] > 3 * plain[0], $"warm-up epoch {warm[0]} bytes, plain {plain[0]}");
            Assert.Equal(plain[1], warm[1]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void GossipEveryHSendsAnHthOfTheBytesInEachPhaseAndNamesItInThePlot()
    {
        string dir = Directory.CreateTempSubdirectory("nanofed-every-").FullName;
        try
        {
            long[] Bytes(string name, params string[] extra)
            {
                string run = Path.Combine(dir, name);
                // 4 agents of 128 images, batch 32: 4 iterations per epoch; the second epoch is the second phase.
                return EpochBytes(run, ["gossip", "--method", "sgp", "--agents", "4", "--model", "smallcnn", "--data", FashionMnistRoot(),
                    "--limit", "512", "--test-limit", "100", "--batch", "32", "--epochs", "2", "--milestones", "1", "--out", run, .. extra]);
            }
            var plain = Bytes("plain");
            Assert.Equal([plain[0] / 4, plain[1] / 4], Bytes("every", "--gossip-every", "4"));
            Assert.Equal([plain[0] / 4, plain[1] / 2], Bytes("phased", "--gossip-every", "4,2"));
            Assert.Contains("gossip every 4 then 2 iterations", File.ReadAllText(Path.Combine(dir, "phased", "accuracy.svg")));
            Assert.Equal([plain[0] / 2, plain[1]], Bytes("burst", "--gossip-every", "4,2", "--gossip-burst", "2"));
            Assert.Contains("2 gossips every 4 then 2 iterations", File.ReadAllText(Path.Combine(dir, "burst", "accuracy.svg")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("sgp", "0", "15,23")]
    [InlineData("sgp", "4,x", "15,23")]
    [InlineData("allreduce", "2", "15,23")]
    [InlineData("sgp", "8,128,128,128", "15,23")]
    [InlineData("sgp", "8,128", "23,15")]
    public void GossipEveryBelowOneWithoutGossipOrBeyondThePhasesIsBadInput(string method, string every, string milestones) =>
        AssertBadInput(Run("gossip", "--method", method, "--gossip-every", every, "--milestones", milestones, "--data", "/"), "--gossip-every");

    [Theory]
    [InlineData("0")]
    [InlineData("9")]
    [InlineData("x")]
    public void AGossipBurstOutsideOneToTheShortestPeriodIsBadInput(string burst) =>
        AssertBadInput(Run("gossip", "--method", "sgp", "--gossip-every", "8,128", "--milestones", "15,23", "--gossip-burst", burst, "--data", "/"), "--gossip-burst");

    [Fact]
    public void OnePeriodIsSavedAsANumberAndSeveralAsAnArray()
    {
        var one = new GossipConfig { GossipEvery = [16] };
        Assert.Equal("16", one.ValueOf("gossip-every"));
        Assert.Equal([16], GossipConfig.Parse(one.ToJson(), "one").GossipEvery);
        var phased = new GossipConfig { GossipEvery = [8, 128], Milestones = [15, 23] };
        Assert.Equal("[8,128]", phased.ValueOf("gossip-every"));
        Assert.Equal([8, 128], GossipConfig.Parse(phased.ToJson(), "phased").GossipEvery);
        Assert.Equal(", gossip every 8 then 128 iterations", phased.PeriodText);
        Assert.Equal([1], GossipConfig.Parse("{}", "empty").GossipEvery);
        Assert.Equal(1, GossipConfig.Parse("{}", "empty").GossipBurst);
        Assert.Equal(", 3 gossips every 96 then 768 iterations", (phased with { GossipEvery = [96, 768], GossipBurst = 3 }).PeriodText);
    }

    [Fact]
    public void KeepWarmupWithoutACompressorIsBadInput() =>
        AssertBadInput(Run("gossip", "--method", "sgp", "--keep-warmup-epochs", "2", "--data", "/"), "--keep-warmup-epochs");

    [Fact]
    public void KeepStartBelowKeepIsBadInput() =>
        AssertBadInput(Run("gossip", "--method", "sparse-push", "--keep", "0.1", "--keep-warmup-epochs", "2", "--keep-start", "0.01", "--data", "/"), "--keep-start");

    [Fact]
    public void NesterovWithoutMomentumIsBadInput() =>
        AssertBadInput(Run("gossip", "--nesterov", "--momentum", "0", "--data", "/"), "--nesterov");

    [Fact]
    public void QuasiGlobalMomentumWithoutMomentumIsBadInput() =>
        AssertBadInput(Run("gossip", "--quasi-global-momentum", "--momentum", "0", "--data", "/"), "--quasi-global-momentum");

    [Theory]
    [InlineData("0")]
    [InlineData("1.5")]
    [InlineData("NaN")]
    public void UpdateTrackingOutsideTheUnitIntervalIsBadInput(string mu) =>
        AssertBadInput(Run("gossip", "--update-tracking", mu, "--data", "/"), "--update-tracking");

    /// <summary>The options reach config.json and the checkpoint: a run stopped after one epoch resumes with their state.</summary>
    [Theory]
    [InlineData("--quasi-global-momentum", "\"quasi-global-momentum\": true")]
    [InlineData("--update-tracking=0.5", "\"update-tracking\": 0.5")]
    public void MomentumAndTrackingOptionsRunStopAndResume(string option, string json)
    {
        string dir = Directory.CreateTempSubdirectory("nanofed-qgm-").FullName;
        try
        {
            var r = Run("gossip", "--method", "sparse-push", "--keep", "0.1", "--agents", "2", "--graph", "ring", "--model", "smallcnn", "--data", FashionMnistRoot(),
                "--limit", "128", "--test-limit", "50", "--batch", "32", "--epochs", "2", "--stop-after", "1", option, "--out", dir);
            Assert.Equal(0, r.Code);
            Assert.Contains(json, File.ReadAllText(Path.Combine(dir, "config.json")), StringComparison.Ordinal);
            Assert.Equal(0, Run("gossip", "--out", dir, "--data", FashionMnistRoot(), "--resume").Code);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void UnknownScheduleIsBadInput() => AssertBadInput(Run("gossip", "--schedule", "step", "--data", "/"), "--schedule");

    [Fact]
    public void ResumingACosineRunWithOtherEpochsIsBadInput()
    {
        string dir = Directory.CreateTempSubdirectory("nanofed-cosine-").FullName;
        try
        {
            var r = Run("gossip", "--method", "sgp", "--agents", "2", "--graph", "ring", "--model", "smallcnn", "--data", FashionMnistRoot(), "--limit", "128",
                "--test-limit", "50", "--batch", "32", "--epochs", "2", "--stop-after", "1", "--schedule", "cosine", "--nesterov", "--out", dir);
            Assert.Equal(0, r.Code);
            Assert.Contains("\"nesterov\": true", File.ReadAllText(Path.Combine(dir, "config.json")), StringComparison.Ordinal);
            AssertBadInput(Run("gossip", "--out", dir, "--data", FashionMnistRoot(), "--resume", "--epochs", "3"), "cosine schedule");
            Assert.Equal(0, Run("gossip", "--out", dir, "--data", FashionMnistRoot(), "--resume").Code);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void NegativeKeepWarmupIsBadInput() =>
        AssertBadInput(Run("gossip", "--method", "sparse-push", "--keep-warmup-epochs", "-1", "--data", "/"), "--keep-warmup-epochs");

    [Fact]
    public void EntropyCodingIsTheSameRunInFewerBytes()
    {
        var (plain, coded) = SmallScspRuns(["--compressor", "quantize", "--bits", "4", "--gamma", "1", "--limit", "512", "--epochs", "2"], [], ["--entropy-coding"]);
        string[] header = plain.Metrics[0].Split(',');
        int bytes = Array.IndexOf(header, "bytes_per_agent");
        for (int line = 1; line < plain.Metrics.Length; line++)
        {
            string[] p = plain.Metrics[line].Split(','), c = coded.Metrics[line].Split(',');
            // The consensus rounds after training send dense models: the same bytes.
            if (p[0] == "training") Assert.True(long.Parse(c[bytes]) < long.Parse(p[bytes]), $"coded {c[bytes]} bytes, plain {p[bytes]}");
            // Everything else (accuracies, losses, consensus distance) is bit for bit the plain run's.
            Assert.Equal(p.Where((_, k) => !header[k].Contains("bytes") && header[k] != "compression_ratio"),
                c.Where((_, k) => !header[k].Contains("bytes") && header[k] != "compression_ratio"));
        }
    }

    [Theory]
    [InlineData("sparse-push", "topk")]
    [InlineData("sgp", "quantize")]
    public void EntropyCodingWithoutQuantizedCodesIsBadInput(string method, string compressor) =>
        AssertBadInput(Run("gossip", "--method", method, "--compressor", compressor, "--entropy-coding", "--data", "/"), "--entropy-coding");

    [Fact]
    public void CompressedConsensusRoundsFollowTheSameTrainingInFewerBytes()
    {
        var (dense, quantized) = SmallScspRuns(["--keep", "0.1", "--gamma", "0.2", "--consensus-rounds", "6", "--limit", "256", "--epochs", "1"], [],
            ["--consensus-compressor", "quantize", "--consensus-bits", "8", "--consensus-gamma", "0.8"]);
        Assert.Contains("\"consensus-compressor\": \"quantize\"", quantized.Config, StringComparison.Ordinal);
        Assert.Equal(dense.Metrics[1], quantized.Metrics[1]);
        string[] header = dense.Metrics[0].Split(','), d = dense.Metrics[2].Split(','), q = quantized.Metrics[2].Split(',');
        Assert.Equal(("consensus", "consensus"), (d[0], q[0]));
        int bytes = Array.IndexOf(header, "bytes_per_agent");
        Assert.InRange(long.Parse(q[bytes]), 1, long.Parse(d[bytes]) / 3);
    }

    [Theory]
    [InlineData("--consensus-compressor", "--method scsp --consensus-compressor dense")]
    [InlineData("--consensus-compressor", "--method sparse-push --consensus-compressor quantize")]
    [InlineData("--consensus-gamma", "--method scsp --consensus-compressor quantize --consensus-gamma 1.5")]
    [InlineData("--consensus-gamma", "--method scsp --consensus-gamma 0.5")]
    [InlineData("--consensus-bits", "--method scsp --consensus-compressor quantize --consensus-bits 1")]
    public void BadConsensusRoundOptionsAreBadInput(string option, string args) =>
        AssertBadInput(Run(["gossip", .. args.Split(' '), "--data", "/"]), option);

    /// <summary>
    /// Two small SCSP runs (4 agents, smallcnn on Fashion-MNIST) with <paramref name="common"/> and then each one's own
    /// options, in a temporary folder removed afterwards: their metrics.csv lines and config.json.
    /// </summary>
    private static ((string[] Metrics, string Config) First, (string[] Metrics, string Config) Second) SmallScspRuns(string[] common, string[] first, string[] second)
    {
        string dir = Directory.CreateTempSubdirectory("nanofed-scsp-").FullName;
        try
        {
            (string[], string) Run(string name, string[] extra)
            {
                string run = Path.Combine(dir, name);
                EpochBytes(run, ["gossip", "--method", "scsp", "--agents", "4", "--model", "smallcnn", "--data", FashionMnistRoot(), "--test-limit", "100",
                    "--batch", "32", "--out", run, .. common, .. extra]);
                return (File.ReadAllLines(Path.Combine(run, "metrics.csv")), File.ReadAllText(Path.Combine(run, "config.json")));
            }
            return (Run("first", first), Run("second", second));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Runs <paramref name="args"/> (a gossip run into <paramref name="run"/>) and returns its bytes per agent, one per epoch.</summary>
    private static long[] EpochBytes(string run, string[] args)
    {
        var r = Run(args);
        Assert.Equal(0, r.Code);
        var lines = File.ReadAllLines(Path.Combine(run, "metrics.csv"));
        int column = Array.IndexOf(lines[0].Split(','), "bytes_per_agent");
        return lines.Skip(1).Select(l => long.Parse(l.Split(',')[column], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }
}
