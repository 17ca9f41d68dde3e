using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests.Experiments;

/// <summary>
/// Fault injection in the gossip simulation (<see cref="GossipConfig.MessageLoss"/>): 4 smallcnn agents on a random
/// out-degree-2 graph (shares of 1/3, so Σ w is rounded every iteration), 512 Fashion-MNIST images, batch 32, 2 epochs.
/// </summary>
[Collection(nameof(WorkerCountCollection))]
public sealed class GossipMessageLossTests : IDisposable
{
    private const int Agents = 4, Epochs = 2;
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-gossip-loss-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static string DataRoot()
    {
        const string Debian = "/usr/share/datasets";
        string? env = Environment.GetEnvironmentVariable("NANOFED_DATA");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(Path.Combine(env, "fashion-mnist"))) return env;
        Assert.SkipUnless(File.Exists(Path.Combine(Debian, "fashion-mnist", "t10k-labels-idx1-ubyte.gz")),
            "Fashion-MNIST not found in NANOFED_DATA/fashion-mnist or /usr/share/datasets/fashion-mnist");
        return Debian;
    }

    private static GossipConfig Config(string method, double loss) => new()
    {
        Method = method, Agents = Agents, Graph = "random", Degree = 2, Model = "smallcnn", Dataset = "fashion-mnist", Limit = 512, TestLimit = 100,
        Batch = 32, Epochs = Epochs, Keep = 0.1, Seed = 4, MessageLoss = loss,
    };

    private (List<DecentralizedMetrics> Rows, TrafficLedger Ledger, int Iterations) Run(GossipConfig config)
    {
        using var experiment = GossipExperiment.Create(config, DataRoot(), Path.Combine(_dir, Guid.NewGuid().ToString("N")));
        var rows = Enumerable.Range(0, Epochs).Select(_ => experiment.Runner.RunEpoch()).ToList();
        return (rows, experiment.Runner.Ledger, experiment.Runner.IterationsPerEpoch * Epochs);
    }

    [Theory]
    [InlineData("sgp")]
    [InlineData("sparse-push")]
    public void PushSumWeightsStillSumToNWhenAFifthOfTheMessagesAreLost(string method)
    {
        var (rows, ledger, iterations) = Run(Config(method, 0.2));
        Assert.All(rows, r => Assert.Equal(Agents, r.WeightSum, 1e-5));
        Assert.All(rows, r => Assert.True(r.MinWeight < r.MaxWeight, "lost shares stay with their senders, so the weights spread"));
        // Every agent sends one message to each of its 2 out-peers per iteration; a fifth of them never reach the ledger.
        double delivered = ledger.Entries.Count / (double)(Agents * 2 * iterations);
        Assert.InRange(delivered, 0.72, 0.88);
    }

    [Fact]
    public void NoLossIsThePlainTransportAndTheWeightsSumToN()
    {
        Assert.IsType<InProcessTransport>(GossipExperiment.Transport(Config("sgp", 0), new TrafficLedger()));
        Assert.IsType<DroppingTransport>(GossipExperiment.Transport(Config("sgp", 0.05), new TrafficLedger()));
        var (rows, ledger, iterations) = Run(Config("sgp", 0));
        Assert.Equal(Agents * 2 * iterations, ledger.Entries.Count);
        Assert.All(rows, r => Assert.Equal(Agents, r.WeightSum, 1e-5));
    }

    [Fact]
    public void SameSeedGivesTheSameLossesAndMetricsForOneAndTwoThreads()
    {
        int saved = Workers.Count;
        try
        {
            Workers.Count = 1;
            var one = Run(Config("sparse-push", 0.2));
            Workers.Count = 2;
            var two = Run(Config("sparse-push", 0.2));
            Assert.Equal(one.Rows, two.Rows);
            Assert.Equal(one.Ledger.Entries, two.Ledger.Entries);
        }
        finally
        {
            Workers.Count = saved;
        }
    }

    [Theory]
    [InlineData("sgp", -0.1, "--message-loss must be a probability")]
    [InlineData("sgp", 1.5, "--message-loss must be a probability")]
    [InlineData("sgp", double.NaN, "--message-loss must be a probability")]
    [InlineData("dpsgd", 0.1, "--message-loss needs a push-sum method")]
    [InlineData("allreduce", 0.1, "--message-loss needs a push-sum method")]
    public void BadValuesAreRefusedNamingTheOption(string method, double loss, string error)
    {
        var e = Assert.Throws<ArgumentException>(() => Config(method, loss).Validate());
        Assert.StartsWith(error, e.Message, StringComparison.Ordinal);
    }
}
