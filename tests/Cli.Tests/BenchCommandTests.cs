using System.Text.Json;
using Xunit;

namespace NanoFed.Tests.Cli;

/// <summary>`nanofed bench` in-process, on its smallest case: the JSON it writes, and bad options.</summary>
[Collection(nameof(ConsoleCollection))]
public class BenchCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-bench-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void OnlyOneCaseWritesItsFiguresAsJson()
    {
        string path = Path.Combine(_dir, "bench.json");
        var r = ProgramTests.Run("bench", "--only", "sgemm n=256", "--reps", "1", "--threads", "1", "--no-peer", "--json", path);
        Assert.Equal(0, r.Code);
        Assert.Contains("sgemm n=256", r.Out);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        Assert.Equal(1, root.GetProperty("threads").GetInt32());
        Assert.Equal(1, root.GetProperty("reps").GetInt32());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("machine").GetString()));
        Assert.False(root.TryGetProperty("peak", out _));
        Assert.False(root.TryGetProperty("peer", out _));
        Assert.False(root.TryGetProperty("peerKernel", out _));
        Assert.Equal(NanoFed.MachineInfo.Current.CacheKey, root.GetProperty("cpu").GetProperty("cacheKey").GetString());
        Assert.Contains($"cache key: {NanoFed.MachineInfo.Current.CacheKey}", r.Out);
        var only = Assert.Single(root.GetProperty("cases").EnumerateArray());
        Assert.Equal("sgemm n=256", only.GetProperty("name").GetString());
        double seconds = only.GetProperty("medianSeconds").GetDouble(), gflops = only.GetProperty("gflops").GetDouble();
        Assert.InRange(seconds, 1e-6, 10);
        Assert.Equal(2.0 * 256 * 256 * 256 / seconds / 1e9, gflops, 0.01 * gflops);
        Assert.Empty(root.GetProperty("networks").EnumerateArray());
    }

    [Fact]
    public void TuneKeepsTheSgemmPlanInTheCacheFileItIsGiven()
    {
        string cache = Path.Combine(_dir, "plans.tsv"), json = Path.Combine(_dir, "tune.json");
        string? saved = Environment.GetEnvironmentVariable(NanoFed.PlanCache.Variable);
        try
        {
            Environment.SetEnvironmentVariable(NanoFed.PlanCache.Variable, cache);
            var r = ProgramTests.Run("bench", "--tune", "--only", "sgemm n=256", "--threads", "1", "--no-peer", "--json", json);
            Assert.Equal(0, r.Code);
            Assert.Contains("NN M=256 N=256 K=256, 1 thread", r.Out);
            string[] lines = File.ReadAllLines(cache);
            Assert.Equal("nanofed-plans\t1", lines[0]);
            Assert.Equal($"machine\t{NanoFed.MachineInfo.Current.CacheKey}", lines[1]);
            Assert.StartsWith("gemm\t1\t0\t0\t8\t8\t8\t", lines[2]);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var tuned = Assert.Single(doc.RootElement.GetProperty("tuning").GetProperty("gemm").EnumerateArray());
            Assert.Equal(cache, doc.RootElement.GetProperty("tuning").GetProperty("planCache").GetString());
            Assert.False(string.IsNullOrEmpty(tuned.GetProperty("keptPlan").GetString()));

            Environment.SetEnvironmentVariable(NanoFed.PlanCache.Variable, "off");
            ProgramTests.AssertBadInput(ProgramTests.Run("bench", "--tune", "--no-peer"), "--tune");
        }
        finally
        {
            Environment.SetEnvironmentVariable(NanoFed.PlanCache.Variable, saved);
        }
    }

    [Fact]
    public void BadPatternIsBadInput() => ProgramTests.AssertBadInput(ProgramTests.Run("bench", "--only", "conv[", "--no-peer"), "--only");

    [Fact]
    public void ZeroRepsIsBadInput() => ProgramTests.AssertBadInput(ProgramTests.Run("bench", "--reps", "0", "--no-peer"), "--reps");

    [Fact]
    public void MissingPeerIsBadInput() =>
        ProgramTests.AssertBadInput(ProgramTests.Run("bench", "--peer", Path.Combine(_dir, "no_peer.py")), "--peer");
}
