using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using NanoFed.Deploy;
using NanoFed.Federation.Experiments;
using NanoFed.Nets.Checkpoints;
using Xunit;
using static NanoFed.Tests.Cli.ProgramTests;

namespace NanoFed.Tests.Cli;

/// <summary>
/// `nanofed peer` as 4 OS processes on 127.0.0.1 (gRPC over TLS with tokens): SGP and Sparse-Push (form B) on the
/// time-varying exponential graph, 2 epochs of 12 iterations of the small CNN on a Fashion-MNIST slice; every peer's
/// final push-sum state (z_i, w_i) is bit-identical to agent i's in the in-process simulation of the same
/// configuration, and the peers' training bytes add up to the simulation ledger's.
/// </summary>
public sealed class PeerProcessTests : IDisposable
{
    private const int Peers = 4;
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-peers-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("sgp", false, null, new[] { 1 }, 1)]
    [InlineData("sparse-push", false, null, new[] { 1 }, 1)]
    [InlineData("sparse-push", true, 0.5, new[] { 1 }, 1)]
    [InlineData("sparse-push", false, null, new[] { 3, 2 }, 1)]
    [InlineData("sgp", false, null, new[] { 5, 3 }, 2)]
    public async Task FourPeerProcessesEndBitIdenticalToTheSimulation(string method, bool quasiGlobal, double? tracking, int[] gossipEvery, int burst)
    {
        string data = FashionMnistRoot();
        var config = new GossipConfig
        {
            Method = method, Agents = Peers, Graph = "exponential", Model = "smallcnn", Dataset = "fashion-mnist", Limit = 768, TestLimit = 50,
            Batch = 16, Epochs = 2, Lr = 0.05, WarmupEpochs = 1, Keep = 0.1, Form = "B", Seed = 11, QuasiGlobalMomentum = quasiGlobal, UpdateTracking = tracking,
            GossipEvery = gossipEvery, GossipBurst = burst, Milestones = gossipEvery.Length > 1 ? [1] : [],
        };
        string configPath = Path.Combine(_dir, "run.json");
        File.WriteAllText(configPath, config.ToJson());
        WriteCredentials();
        var ports = FreePorts(Peers);
        File.WriteAllText(Path.Combine(_dir, "peers.json"),
            "{" + string.Join(", ", ports.Select((p, i) => $"\"{i}\": \"https://127.0.0.1:{p}\"")) + "}");

        string dll = typeof(NanoFed.Cli.Program).Assembly.Location, output = Path.Combine(_dir, "out");
        var processes = Enumerable.Range(0, Peers).Select(i =>
        {
            var start = new ProcessStartInfo("dotnet",
            [
                dll, "peer", "--config", configPath, "--id", $"{i}", "--peers", Path.Combine(_dir, "peers.json"), "--cert", Path.Combine(_dir, "cert.pem"),
                "--key", Path.Combine(_dir, "key.pem"), "--data", data, "--threads", "1", "--deadline", "20", "--out", output,
            ]) { RedirectStandardOutput = true, RedirectStandardError = true };
            return Process.Start(start)!;
        }).ToArray();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            var errors = processes.Select(p => p.StandardError.ReadToEndAsync(timeout.Token)).ToArray();
            var outputs = processes.Select(p => p.StandardOutput.ReadToEndAsync(timeout.Token)).ToArray();
            foreach (var p in processes) await p.WaitForExitAsync(timeout.Token);
            for (int i = 0; i < Peers; i++) Assert.True(processes[i].ExitCode == 0, $"peer {i}: {await outputs[i]}{await errors[i]}");
        }
        finally
        {
            foreach (var p in processes)
            {
                if (!p.HasExited) p.Kill();
                p.Dispose();
            }
        }

        using var simulation = GossipExperiment.Create(config, data, Path.Combine(_dir, "simulation"));
        while (!simulation.Scsp.TrainingDone) simulation.RunEpoch();
        long peerBytes = 0;
        for (int i = 0; i < Peers; i++)
        {
            var (tensors, _) = SafeTensors.Read(Path.Combine(output, $"peer-{i}.safetensors"));
            var node = simulation.Runner.Agents[i].Node;
            Assert.Equal(node.Z, tensors["push_sum.z"].ToArray());
            Assert.Equal(BitConverter.SingleToInt32Bits(node.W), BitConverter.SingleToInt32Bits(tensors["push_sum.w"].ToArray()[0]));
            string summary = File.ReadAllText(Path.Combine(output, $"peer-{i}.json"));
            Assert.Contains("\"missed_messages\": 0", summary, StringComparison.Ordinal);
            peerBytes += System.Text.Json.JsonDocument.Parse(summary).RootElement.GetProperty("training_bytes").GetInt64();
        }
        Assert.Equal(simulation.Runner.TrainingBytes, peerBytes);
    }

    /// <summary>One self-signed certificate for 127.0.0.1 that every peer uses and trusts, and tokens.txt beside peers.json.</summary>
    private void WriteCredentials()
    {
        using var certificate = TlsCertificates.CreateSelfSigned("127.0.0.1");
        File.WriteAllText(Path.Combine(_dir, "cert.pem"), certificate.ExportCertificatePem());
        using var key = certificate.GetECDsaPrivateKey()!;
        File.WriteAllText(Path.Combine(_dir, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllLines(Path.Combine(_dir, "tokens.txt"), Enumerable.Range(0, Peers).Select(i => $"{i} {TokenStore.NewToken()}"));
    }

    /// <summary>Ports free on 127.0.0.1 now, all different (the listeners that found them are held open together).</summary>
    internal static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        foreach (var l in listeners) l.Start();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        foreach (var l in listeners) l.Stop();
        return ports;
    }
}
