using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using NanoFed.Deploy;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Checkpoints;
using Xunit;

namespace NanoFed.Tests.Cli;

/// <summary>
/// Must-show of issue 16: a `nanofed server` and four `nanofed device` processes on 127.0.0.1 (TLS with a self-signed
/// certificate, a token per node) run three rounds of a method on SmallCnn over <see cref="SyntheticFashionMnist"/>
/// (100 images per client), and end with the model (and every other piece of the server's state) bit-identical to the
/// in-process simulation of the same configuration and seed; the ledger holds the simulation's messages with the same
/// sizes, and the gRPC framing is the stated per-message overhead (<see cref="GrpcFraming"/>): the chunk framing of
/// every message plus the 5-byte prefix of the empty acknowledgement of every push.
/// </summary>
public sealed class DeployProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-deploy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("fedavg")]
    [InlineData("splitfed")]
    [InlineData("ecofed")]
    public void ServerAndFourDeviceProcessesEndAsTheSimulation(string method)
    {
        string data = Path.Combine(_dir, "data");
        SyntheticFashionMnist.Write(data);
        var config = Config(method);
        var (configPath, pfx, tokens) = Setup(config);
        string run = Path.Combine(_dir, "deployed");
        using var server = Start("server", "--config", configPath, "--listen", "https://127.0.0.1:0", "--tokens", tokens, "--cert", pfx,
            "--out", run, "--data", data, "--threads", "1", "--join-timeout", "180", "--deadline", "120");
        string url = ListenUrl(server);
        var devices = Enumerable.Range(0, 4).Select(c => Start("device", "--server", url, "--client", $"{c}", "--token-file", tokens, "--cert", pfx,
            "--config", configPath, "--data", data, "--threads", "1", "--deadline", "120")).ToList();
        try
        {
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(300)), "the server did not finish in 300 s");
            Assert.True(server.ExitCode == 0, $"server exit {server.ExitCode}: {server.StandardError.ReadToEnd()}");
            foreach (var d in devices)
            {
                Assert.True(d.WaitForExit(TimeSpan.FromSeconds(60)), "a device did not stop");
                Assert.True(d.ExitCode == 0, $"device exit {d.ExitCode}: {d.StandardError.ReadToEnd()}");
            }
        }
        finally
        {
            foreach (var p in devices.Append(server).Where(p => !p.HasExited)) p.Kill();
            foreach (var d in devices) d.Dispose();
        }

        var (simulation, deployed) = AssertEndsAsTheSimulation(config, data, run);
        long calls = deployed.Count(e => e.Kind == MessageKind.Gradients);
        long framing = deployed.Sum(e => GrpcFraming.Overhead(e.Bytes, GrpcFraming.DefaultChunkBytes)) + GrpcFraming.MessagePrefixBytes * (deployed.Count - 2 * calls);
        string deploy = File.ReadAllText(Path.Combine(run, "deploy.json"));
        Assert.Contains($"\"ledger-bytes\": {simulation.Ledger.Total()},", deploy, StringComparison.Ordinal);
        Assert.Contains($"\"grpc-framing-bytes\": {framing},", deploy, StringComparison.Ordinal);
    }

    /// <summary>
    /// Must-show 3 of issue 16: the server process is killed (SIGKILL) a second after round 1's checkpoint is on disk,
    /// most likely inside round 2, while its four devices keep running; a server started on the same address with
    /// --resume continues at the round after the checkpoint's, the devices rejoin it, and the run ends with the state
    /// and ledger of the uninterrupted simulation and every round once in metrics.csv.
    /// </summary>
    [Theory]
    [InlineData("fedavg")]
    [InlineData("ecofed")]
    public void AServerKilledAfterARoundAndRestartedWithResumeEndsAsTheSimulation(string method)
    {
        string data = Path.Combine(_dir, "data");
        SyntheticFashionMnist.Write(data);
        var config = Config(method);
        var (configPath, pfx, tokens) = Setup(config);
        string run = Path.Combine(_dir, "deployed");
        string[] serverArgs = ["server", "--config", configPath, "--tokens", tokens, "--cert", pfx, "--out", run, "--data", data, "--threads", "1",
            "--join-timeout", "180", "--deadline", "120"];
        var killed = Start([.. serverArgs, "--listen", "https://127.0.0.1:0"]);
        string url = ListenUrl(killed);
        var devices = Enumerable.Range(0, 4).Select(c => Start("device", "--server", url, "--client", $"{c}", "--token-file", tokens, "--cert", pfx,
            "--config", configPath, "--data", data, "--threads", "1", "--deadline", "120", "--join-timeout", "180")).ToList();
        Process? resumed = null;
        try
        {
            while (killed.StandardOutput.ReadLine() is { } line && !line.StartsWith("round 1/3", StringComparison.Ordinal)) { }
            // A moment into round 2: the server has most likely pushed the round's messages and is waiting for a
            // device's turn, so the devices hold pushes of a round the restarted server will push again.
            Thread.Sleep(1000);
            killed.Kill();
            killed.WaitForExit();
            Assert.True(killed.ExitCode != 0, "the first server finished before it was killed");
            var (_, metadata) = SafeTensors.ReadRaw(Path.Combine(run, FlCheckpoint.FileName));
            int done = int.Parse(metadata["round"], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(done, 1, config.Rounds - 1);

            resumed = Start([.. serverArgs, "--listen", url, "--resume"]);
            Assert.True(resumed.WaitForExit(TimeSpan.FromSeconds(300)), "the resumed server did not finish in 300 s");
            string errors = resumed.StandardError.ReadToEnd();
            Assert.True(resumed.ExitCode == 0, $"resumed server exit {resumed.ExitCode}: {errors}");
            Assert.Contains($"resuming at round {done + 1}", errors, StringComparison.Ordinal);
            foreach (var d in devices)
            {
                Assert.True(d.WaitForExit(TimeSpan.FromSeconds(60)), "a device did not stop");
                Assert.True(d.ExitCode == 0, $"device exit {d.ExitCode}: {d.StandardError.ReadToEnd()}");
            }
        }
        finally
        {
            foreach (var p in devices.Append(killed).Concat(resumed is null ? [] : [resumed]).Where(p => !p.HasExited)) p.Kill();
            foreach (var p in devices.Append(killed).Concat(resumed is null ? [] : [resumed])) p.Dispose();
        }

        AssertEndsAsTheSimulation(config, data, run);
        var rounds = File.ReadAllLines(Path.Combine(run, "metrics.csv")).Skip(1).Select(l => l.Split(',')[0]);
        Assert.Equal(["1", "2", "3"], rounds);
    }

    private static FlConfig Config(string method) => new FlConfig
    {
        Method = method, Model = "smallcnn", Clients = 4, PerRound = 4, Rounds = 3, SamplesPerClient = 100, SplitIndex = 2, Batch = 20, Lr = 0.05,
        Period = 2, Seed = 7,
    }.Resolve();

    /// <summary>Asserts that every tensor of the run folder's checkpoint and its ledger are the in-process simulation's; returns both ledgers.</summary>
    private (FlRunner Simulation, List<LedgerEntry> Deployed) AssertEndsAsTheSimulation(FlConfig config, string data, string run)
    {
        var simulation = FlExperiment.Load(config, data).Simulation();
        string simulated = Path.Combine(_dir, "simulated.safetensors");
        simulation.CheckpointPath = simulated;
        simulation.Run(config.Rounds);

        var (deployedState, _) = SafeTensors.ReadRaw(Path.Combine(run, FlCheckpoint.FileName));
        var (simulatedState, _) = SafeTensors.ReadRaw(simulated);
        Assert.Equal(simulatedState.Keys.Order(), deployedState.Keys.Order());
        foreach (var (name, tensor) in simulatedState.Where(e => e.Key != FlCheckpoint.LedgerName))
            Assert.True(tensor.Data.AsSpan().SequenceEqual(deployedState[name].Data), $"{name} differs from the simulation");

        var deployed = LedgerRows.FromBytes(deployedState[FlCheckpoint.LedgerName].Data);
        Assert.Equal(Sorted(simulation.Ledger.Entries), Sorted(deployed));
        return (simulation, deployed);
    }

    private static List<LedgerEntry> Sorted(IEnumerable<LedgerEntry> entries) =>
        entries.OrderBy(e => (e.Round, e.Sender, e.Receiver, e.Kind, e.Bytes, e.Phase)).ToList();

    /// <summary>
    /// A device process killed after round 1 (possibly inside round 2) fails its turns, and the rounds complete with
    /// the other three (quorum 3 of 4); the server names the failed client in its round lines and stops the others.
    /// </summary>
    [Fact]
    public void ADeviceKilledDuringTheRunDoesNotStopTheRounds()
    {
        string data = Path.Combine(_dir, "data");
        SyntheticFashionMnist.Write(data);
        var config = new FlConfig { Model = "smallcnn", Clients = 4, PerRound = 4, Quorum = 3, Rounds = 3, SamplesPerClient = 100, SplitIndex = 2, Batch = 20 }.Resolve();
        var (configPath, pfx, tokens) = Setup(config);
        string run = Path.Combine(_dir, "deployed");
        using var server = Start("server", "--config", configPath, "--listen", "https://127.0.0.1:0", "--tokens", tokens, "--cert", pfx,
            "--out", run, "--data", data, "--threads", "1", "--join-timeout", "180", "--deadline", "20");
        string url = ListenUrl(server);
        var devices = Enumerable.Range(0, 4).Select(c => Start("device", "--server", url, "--client", $"{c}", "--token-file", tokens, "--cert", pfx,
            "--config", configPath, "--data", data, "--threads", "1", "--deadline", "20")).ToList();
        try
        {
            string metrics = Path.Combine(run, "metrics.csv");
            var until = DateTime.UtcNow.AddSeconds(90);
            while (!(File.Exists(metrics) && File.ReadAllLines(metrics).Length >= 2) && DateTime.UtcNow < until) Thread.Sleep(100);
            devices[3].Kill(entireProcessTree: true);
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(300)), "the server did not finish in 300 s");
            string output = server.StandardOutput.ReadToEnd();
            Assert.True(server.ExitCode == 0, $"server exit {server.ExitCode}: {server.StandardError.ReadToEnd()}");
            Assert.Equal(4, File.ReadAllLines(metrics).Length);
            Assert.Contains("round 3/3", output, StringComparison.Ordinal);
            Assert.Contains("failed: client 3 (", output, StringComparison.Ordinal);
            foreach (var d in devices.Take(3)) Assert.True(d.WaitForExit(TimeSpan.FromSeconds(60)), "a device did not stop");
        }
        finally
        {
            foreach (var p in devices.Append(server).Where(p => !p.HasExited)) p.Kill();
            foreach (var d in devices) d.Dispose();
        }
    }

    private (string Config, string Pfx, string Tokens) Setup(FlConfig config)
    {
        string configPath = Path.Combine(_dir, "run.json");
        File.WriteAllText(configPath, config.ToJson());
        using var certificate = TlsCertificates.CreateSelfSigned("127.0.0.1");
        string pfx = Path.Combine(_dir, "node.pfx");
        File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pkcs12));
        string tokens = Path.Combine(_dir, "tokens.txt");
        File.WriteAllLines(tokens, Enumerable.Range(-1, 5).Select(n => $"{n} {TokenStore.NewToken()}"));
        return (configPath, pfx, tokens);
    }

    private static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(NanoFed.Cli.Program).Assembly.Location);
        foreach (var a in args) start.ArgumentList.Add(a);
        return Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
    }

    /// <summary>The URL the server prints once it listens.</summary>
    private static string ListenUrl(Process server)
    {
        const string prefix = "nanofed server: listening on ";
        while (server.StandardOutput.ReadLine() is { } line)
            if (line.StartsWith(prefix, StringComparison.Ordinal)) return line[prefix.Length..];
        throw new InvalidOperationException($"the server stopped before listening: {server.StandardError.ReadToEnd()}");
    }
}
