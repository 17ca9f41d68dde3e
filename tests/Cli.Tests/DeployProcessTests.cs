using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using NanoFed.Deploy;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Checkpoints;
using Xunit;
using static NanoFed.Tests.Cli.ProgramTests;

namespace NanoFed.Tests.Cli;

/// <summary>
/// Must-show of issue 16: a `nanofed server` and four `nanofed device` processes on 127.0.0.1 (TLS with a self-signed
/// certificate, a token per node) run three rounds of a method on SmallCnn over Fashion-MNIST (100 training images per
/// client; skipped where the data set is not installed), and end with the model (and every other piece of the server's state) bit-identical to the
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
        string data = FashionMnistRoot();
        var config = Config(method);
        var (configPath, pfx, tokens) = Setup(config);
        string run = Path.Combine(_dir, "deployed");
        using var server = Start("server", "--config", configPath, "--listen", "https://127.0.0.1:0", "--tokens", tokens, "--cert", pfx,
            "--out", run, "--data", data, "--threads", "1", "--join-timeout", "180", "--deadline", "120");
        string url = ListenUrl(server);
        var devices = Enumerable.Range(0, 4).Select(c => StartDevice(url, c, tokens, "--deadline", "120")).ToList();
        try
        {
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(300)), "the server did not finish in 300 s");
            Assert.True(server.ExitCode == 0, $"server exit {server.ExitCode}: {server.StandardError.ReadToEnd()}");
            AssertDevicesEnded(devices);
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
        string data = FashionMnistRoot();
        var config = Config(method);
        var (configPath, pfx, tokens) = Setup(config);
        string run = Path.Combine(_dir, "deployed");
        string[] serverArgs = ["server", "--config", configPath, "--tokens", tokens, "--cert", pfx, "--out", run, "--data", data, "--threads", "1",
            "--join-timeout", "180", "--deadline", "120"];
        var killed = Start([.. serverArgs, "--listen", "https://127.0.0.1:0"]);
        string url = ListenUrl(killed);
        var devices = Enumerable.Range(0, 4).Select(c => StartDevice(url, c, tokens, "--deadline", "120", "--join-timeout", "180")).ToList();
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
            AssertDevicesEnded(devices);
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
        string data = FashionMnistRoot();
        var config = new FlConfig { Model = "smallcnn", Clients = 4, PerRound = 4, Quorum = 3, Rounds = 3, SamplesPerClient = 100, SplitIndex = 2, Batch = 20 }.Resolve();
        var (configPath, pfx, tokens) = Setup(config);
        string run = Path.Combine(_dir, "deployed");
        using var server = Start("server", "--config", configPath, "--listen", "https://127.0.0.1:0", "--tokens", tokens, "--cert", pfx,
            "--out", run, "--data", data, "--threads", "1", "--join-timeout", "180", "--deadline", "20");
        string url = ListenUrl(server);
        var devices = Enumerable.Range(0, 4).Select(c => StartDevice(url, c, tokens, "--deadline", "20")).ToList();
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

    /// <summary>
    /// Must-show 3 of issue 16, refusals: besides the honest devices 0, 1 and 2, a device process claims client 1 with a
    /// token the operator never issued, and device 3 presents the token its own file holds while the server's tokens
    /// file marks it revoked. Both are refused on their join (logged by the server with the client and the reason) and
    /// exit with one error line and a non-zero code; the server does not wait for the revoked client, and the three rounds
    /// complete with the other three (quorum 3), client 3 named as failed.
    /// </summary>
    [Fact]
    public async Task DevicesWithAWrongOrARevokedTokenAreRefusedAndTheRoundsCompleteWithTheOthers()
    {
        var config = Config("fedavg") with { Quorum = 3 };
        var (configPath, pfx, tokens) = Setup(config);
        string[] issued = File.ReadAllLines(tokens);
        string serverTokens = Path.Combine(_dir, "server-tokens.txt"), impostorTokens = Path.Combine(_dir, "impostor-tokens.txt");
        File.WriteAllLines(serverTokens, issued.Select(l => l.StartsWith("3 ", StringComparison.Ordinal) ? $"{l} revoked" : l));
        File.WriteAllLines(impostorTokens, [issued[0], $"1 {TokenStore.NewToken()}"]);
        string run = Path.Combine(_dir, "deployed");
        using var server = Start("server", "--config", configPath, "--listen", "https://127.0.0.1:0", "--tokens", serverTokens, "--cert", pfx,
            "--out", run, "--data", FashionMnistRoot(), "--threads", "1", "--join-timeout", "180", "--deadline", "60");
        string url = ListenUrl(server);
        var serverLog = server.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var devices = Enumerable.Range(0, 3).Select(c => StartDevice(url, c, tokens, "--deadline", "60")).ToList();
        var refused = new[] { (Device: StartDevice(url, 1, impostorTokens), Reason: "Unauthenticated: wrong token for client 1"),
            (Device: StartDevice(url, 3, tokens), Reason: "PermissionDenied: client 3 is revoked") };
        try
        {
            foreach (var (device, reason) in refused)
            {
                Assert.True(device.WaitForExit(TimeSpan.FromSeconds(120)), $"the device refused with {reason} did not exit");
                Assert.NotEqual(0, device.ExitCode);
                Assert.Equal($"nanofed: orchestration call to node -1 failed: {reason}", device.StandardError.ReadToEnd().TrimEnd());
            }
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(300)), "the server did not finish in 300 s");
            string output = server.StandardOutput.ReadToEnd(), log = await serverLog;
            Assert.True(server.ExitCode == 0, $"server exit {server.ExitCode}: {log}");
            Assert.Contains("round 3/3", output, StringComparison.Ordinal);
            Assert.Contains("failed: client 3 (", output, StringComparison.Ordinal);
            Assert.Matches(@"node -1 refused client 1 from \S+ \(/nanofed\.transport\.NodeTransport/Orchestrate\): wrong token for client 1", log);
            Assert.Matches(@"node -1 refused client 3 from \S+ \(/nanofed\.transport\.NodeTransport/Orchestrate\): client 3 is revoked", log);
            Assert.Contains("starting without clients 3: the tokens file", log, StringComparison.Ordinal);
            Assert.Equal(4, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Length);
            AssertDevicesEnded(devices);
        }
        finally
        {
            foreach (var p in devices.Concat(refused.Select(r => r.Device)).Append(server).Where(p => !p.HasExited)) p.Kill();
            foreach (var p in devices.Concat(refused.Select(r => r.Device))) p.Dispose();
        }
    }

    /// <summary>
    /// Must-show 3 of issue 16, hostile messages inside a round: once the server has printed round 1, the test plays a
    /// rogue holder of client 3's valid token (the Deploy library's <see cref="GrpcTransport"/>, beside the honest device
    /// 3) and pushes the server a reply whose first tensor has a wrong shape and one whose bytes are cut short. Each is
    /// refused (the push fails), the server logs the client and the defect, and the rounds still running when they arrive
    /// complete with the honest devices: the run ends bit-identical to the simulation, ledger included.
    /// </summary>
    [Fact]
    public async Task AWrongShapeAndATruncatedMessageInARoundAreRejectedWithALoggedReasonAndTheRunEndsAsTheSimulation()
    {
        var config = Config("fedavg");
        var (configPath, pfx, tokens) = Setup(config);
        string run = Path.Combine(_dir, "deployed"), data = FashionMnistRoot();
        using var server = Start("server", "--config", configPath, "--listen", "https://127.0.0.1:0", "--tokens", tokens, "--cert", pfx,
            "--out", run, "--data", data, "--threads", "1", "--join-timeout", "180", "--deadline", "120");
        string url = ListenUrl(server);
        var serverLog = server.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var devices = Enumerable.Range(0, 4).Select(c => StartDevice(url, c, tokens, "--deadline", "120")).ToList();
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(pfx, null);
        var store = TokenStore.Load(tokens);
        using var rogue = GrpcTransport.Start(new GrpcTransportOptions
        {
            NodeId = 3, ListenUrl = "https://127.0.0.1:0", Certificate = certificate, TrustedCertificates = [certificate], Token = store.TokenOf(3),
            Tokens = store, Schema = FlWireSchema.For(config), Peers = new Dictionary<int, string> { [Message.Server] = url },
        }, new TrafficLedger());
        var (name, tensor) = FlExperiment.ModelFactory(config, 10)().StateDict()[0];
        int[] dims = tensor.Shape.ToArray();
        dims[0]++;
        var reply = new Message(2, 3, Message.Server, MessageKind.Weights, [WireTensor.Dense(name, new Shape(dims), new float[new Shape(dims).Length])]);
        var truncated = WireFormat.Serialize(new Message(2, 3, Message.Server, MessageKind.Weights, [WireTensor.Dense(name, tensor.Shape, tensor.Span)]))[..^3];
        try
        {
            while (server.StandardOutput.ReadLine() is { } line && !line.StartsWith("round 1/3", StringComparison.Ordinal)) { }
            Assert.False(rogue.Send(reply));
            Assert.False(rogue.TryPush(Message.Server, truncated, out _, out string reason));
            Assert.StartsWith("InvalidArgument: malformed: ", reason, StringComparison.Ordinal);
            bool after = false;
            while (server.StandardOutput.ReadLine() is { } line) after |= line.StartsWith("round 3/3", StringComparison.Ordinal);
            Assert.True(after, "the run was over before the rogue messages arrived");
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(300)), "the server did not finish in 300 s");
            string log = await serverLog;
            Assert.True(server.ExitCode == 0, $"server exit {server.ExitCode}: {log}");
            Assert.Contains($"node -1 rejected a message from client 3: tensor 0 '{name}': shape {new Shape(dims)}, expected {tensor.Shape}", log, StringComparison.Ordinal);
            Assert.Contains("node -1 rejected a message from client 3: malformed: ", log, StringComparison.Ordinal);
            AssertDevicesEnded(devices);
        }
        finally
        {
            foreach (var p in devices.Append(server).Where(p => !p.HasExited)) p.Kill();
            foreach (var d in devices) d.Dispose();
        }
        AssertEndsAsTheSimulation(config, data, run);
    }

    /// <summary>Asserts that every device process stops within a minute with exit code 0.</summary>
    private static void AssertDevicesEnded(IEnumerable<Process> devices)
    {
        foreach (var d in devices)
        {
            Assert.True(d.WaitForExit(TimeSpan.FromSeconds(60)), "a device did not stop");
            Assert.True(d.ExitCode == 0, $"device exit {d.ExitCode}: {d.StandardError.ReadToEnd()}");
        }
    }

    private string ConfigPath => Path.Combine(_dir, "run.json");

    private string Pfx => Path.Combine(_dir, "node.pfx");

    /// <summary>Writes the run's configuration, one self-signed certificate for every node and a tokens file holding every node's line.</summary>
    private (string Config, string Pfx, string Tokens) Setup(FlConfig config)
    {
        File.WriteAllText(ConfigPath, config.ToJson());
        using var certificate = TlsCertificates.CreateSelfSigned("127.0.0.1");
        File.WriteAllBytes(Pfx, certificate.Export(X509ContentType.Pkcs12));
        string tokens = Path.Combine(_dir, "tokens.txt");
        File.WriteAllLines(tokens, Enumerable.Range(-1, 5).Select(n => $"{n} {TokenStore.NewToken()}"));
        return (ConfigPath, Pfx, tokens);
    }

    /// <summary>A `nanofed device` process of <see cref="Setup"/>'s run for <paramref name="client"/>, with the token of <paramref name="tokens"/>.</summary>
    private Process StartDevice(string url, int client, string tokens, params string[] more) =>
        Start(["device", "--server", url, "--client", $"{client}", "--token-file", tokens, "--cert", Pfx, "--config", ConfigPath,
            "--data", FashionMnistRoot(), "--threads", "1", .. more]);

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
