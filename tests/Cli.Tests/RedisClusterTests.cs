using System.Diagnostics;
using System.Text;
using NanoFed.Cluster;
using Orleans;
using Orleans.Runtime;
using Xunit;
using static NanoFed.Tests.Cli.ProgramTests;

namespace NanoFed.Tests.Cli;

/// <summary>
/// A cluster on Redis membership as it runs on several machines, here on one: a redis-server started for the test (its
/// own port and folder, nothing saved), two `nanofed silo` processes registered in it with an advertised address, and
/// `nanofed fl --cluster --membership` as the coordinator, which finds their gateways in Redis. A FedAvg run ends
/// with the in-process simulation's checkpoint.safetensors and ledger.csv byte for byte, with its client grains on
/// both silos, and so does one during which a silo process is killed. Skipped, with the reason, where redis-server is not installed (.ci/run installs it).
/// </summary>
[Collection(nameof(ConsoleCollection))]
public sealed class RedisClusterTests : IDisposable
{
    private const string ClusterId = "redis-test";
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-redis-").FullName;
    private readonly List<Process> _processes = [];

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit();
            p.Dispose();
        }
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    [Trait("Category", "EndToEnd")]
    public async Task TwoSiloProcessesOnRedisMembershipEndAsTheSimulation()
    {
        var (membership, data, _) = await StartCluster();
        string[] run = ["fl", "--method", "fedavg", "--model", "smallcnn", "--clients", "6", "--per-round", "4", "--rounds", "2",
            "--samples-per-client", "100", "--seed", "3", "--data", data, "--threads", "1"];
        var coordinator = Start("dotnet", [Nanofed, .. run, "--cluster", ClusterId, "--membership", membership, "--out", Path.Combine(_dir, "cluster")]);
        Assert.True(await coordinator.Exit(TimeSpan.FromMinutes(3)) == 0, $"fl --cluster: {coordinator.Text}");
        AssertSameRunFolder(run);

        // Client grains stay active for two minutes after their last turn, long enough to see where they ran.
        using var host = await LocalCluster.Connect(ClusterId, RedisMembership.Parse(membership), TestContext.Current.CancellationToken);
        Assert.Equal(2, (await SilosHostingClients(LocalCluster.Client(host))).Count);
    }

    /// <summary>
    /// Must-show 2 with processes: one silo killed (SIGKILL) as soon as round 1 is printed. Its peer votes it dead in
    /// Redis; until then the grains placed on it fail at once, and the coordinator redoes their turns every second
    /// until they land on the live silo. The run ends as the simulation.
    /// </summary>
    [Fact]
    [Trait("Category", "EndToEnd")]
    public async Task ASiloProcessKilledMidRunLeavesTheRunAsTheSimulation()
    {
        var (membership, data, silos) = await StartCluster();
        string[] run = ["fl", "--method", "fedavg", "--model", "smallcnn", "--clients", "12", "--per-round", "6", "--rounds", "4",
            "--samples-per-client", "50", "--local-epochs", "4", "--seed", "3", "--data", data, "--threads", "1"];
        var coordinator = Start("dotnet", [Nanofed, .. run, "--cluster", ClusterId, "--membership", membership, "--out", Path.Combine(_dir, "cluster")]);
        await coordinator.Printed("round 1/4");
        silos[1].Kill();
        Assert.False(coordinator.Exited, "the run ended before the silo was killed");
        Assert.True(await coordinator.Exit(TimeSpan.FromMinutes(3)) == 0, $"fl --cluster: {coordinator.Text}");
        Assert.Contains("client turns started again after their silo left the cluster", coordinator.Text, StringComparison.Ordinal);
        AssertSameRunFolder(run);
    }

    /// <summary>A redis-server on a free port and two silo processes registered in it, each started and ready.</summary>
    private async Task<(string Membership, string Data, Child[] Silos)> StartCluster()
    {
        string server = RedisServer();
        string data = Path.Combine(_dir, "data");
        SyntheticFashionMnist.Write(data);
        var ports = PeerProcessTests.FreePorts(5);
        string membership = $"redis://127.0.0.1:{ports[0]}";
        var redis = Start(server, "--port", $"{ports[0]}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _dir);
        await redis.Printed("Ready to accept connections");
        var silos = Enumerable.Range(0, 2).Select(i => Start("dotnet", Nanofed, "silo", "--cluster", ClusterId, "--membership", membership,
            "--advertise", "127.0.0.1", "--silo-port", $"{ports[1 + 2 * i]}", "--gateway-port", $"{ports[2 + 2 * i]}", "--data", data,
            "--threads", "1", "--state", Path.Combine(_dir, "state"))).ToArray();
        // Each silo places grains by what it knows of the cluster: both must know both before a run starts.
        foreach (var silo in silos) await silo.Printed($"cluster {ClusterId} has 2 silos");
        return (membership, data, silos);
    }

    /// <summary>Runs <paramref name="run"/> in this process and compares its run folder with the cluster's.</summary>
    private void AssertSameRunFolder(string[] run)
    {
        Assert.Equal(0, Run([.. run, "--out", Path.Combine(_dir, "simulation")]).Code);
        foreach (string file in new[] { "checkpoint.safetensors", "ledger.csv" })
            Assert.True(File.ReadAllBytes(Path.Combine(_dir, "simulation", file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_dir, "cluster", file))),
                $"{file} differs from the simulation's");
    }

    private static async Task<List<SiloAddress>> SilosHostingClients(IClusterClient client)
    {
        var stats = await client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        return stats.Where(s => s.GrainType.Contains("FlClientGrain", StringComparison.Ordinal)).Select(s => s.SiloAddress).Distinct().ToList();
    }

    private static string Nanofed => typeof(NanoFed.Cli.Program).Assembly.Location;

    private static string RedisServer()
    {
        string? found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "redis-server")).FirstOrDefault(File.Exists);
        Assert.SkipWhen(found is null, "redis-server is not installed (apt-get install redis-server; .ci/run installs it when run as root)");
        return found!;
    }

    private Child Start(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        var process = Process.Start(start)!;
        _processes.Add(process);
        return new Child(process);
    }

    /// <summary>A process of the test whose output, both streams, is collected as it comes (an Orleans silo logs much to stderr, which must never block it).</summary>
    private sealed class Child
    {
        private readonly Process _process;
        private readonly StringBuilder _text = new();

        public Child(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public bool Exited => _process.HasExited;

        /// <summary>Ends the process at once (SIGKILL): no goodbye to anyone.</summary>
        public void Kill() => _process.Kill(entireProcessTree: true);

        public string Text
        {
            get
            {
                lock (_text) return _text.ToString();
            }
        }

        /// <summary>Waits until the process has printed <paramref name="line"/>; fails if it exits first or takes a minute.</summary>
        public async Task Printed(string line)
        {
            var until = DateTime.UtcNow + TimeSpan.FromMinutes(1);
            while (!Text.Contains(line, StringComparison.Ordinal))
            {
                Assert.False(_process.HasExited, $"{_process.StartInfo.FileName} exited before printing '{line}': {Text}");
                Assert.True(DateTime.UtcNow < until, $"{_process.StartInfo.FileName} did not print '{line}' within a minute: {Text}");
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }

        /// <summary>Waits for the process to end; its exit code.</summary>
        public async Task<int> Exit(TimeSpan patience)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(patience);
            await _process.WaitForExitAsync(timeout.Token);
            return _process.ExitCode;
        }

        private void Append(string? line)
        {
            if (line is null) return;
            lock (_text) _text.AppendLine(line);
        }
    }
}
