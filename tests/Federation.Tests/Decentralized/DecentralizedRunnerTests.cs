using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Partitioning;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;
using NanoFed.Nets.Modules;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests.Decentralized;

/// <summary>
/// SGP / all-reduce / no-communication training of 4 agents (a small BatchNorm CNN, 800 Fashion-MNIST images each,
/// batch 32, 2 epochs = 50 iterations) evaluated on 1,000 test images.
/// </summary>
[Collection(nameof(WorkerCountCollection))]
public class DecentralizedRunnerTests(ITestOutputHelper output)
{
    private const int Agents = 4, PerAgent = 800, BatchSize = 32, Epochs = 2;

    private static readonly Lazy<(ImageDataset Train, ImageDataset Test)?> Data = new(Load);

    private static (ImageDataset Train, ImageDataset Test)? Load()
    {
        string? env = Environment.GetEnvironmentVariable("NANOFED_DATA");
        string[] candidates = [string.IsNullOrEmpty(env) ? "" : Path.Combine(env, FashionMnist.FolderName), "/usr/share/datasets/fashion-mnist"];
        string? folder = candidates.FirstOrDefault(c => c.Length > 0 && File.Exists(Path.Combine(c, "t10k-labels-idx1-ubyte.gz")));
        if (folder is null) return null;
        var train = FashionMnist.ReadTrain(folder);
        var test = FashionMnist.ReadTest(folder);
        return (train.Subset(Enumerable.Range(0, Agents * PerAgent).ToArray()), test.Subset(Enumerable.Range(0, 1000).ToArray()));
    }

    private static (ImageDataset Train, ImageDataset Test) Datasets()
    {
        var data = Data.Value;
        Assert.SkipWhen(data is null, "Fashion-MNIST not found (NANOFED_DATA/fashion-mnist or /usr/share/datasets/fashion-mnist)");
        return data!.Value;
    }

    /// <summary>conv 8 + BN + ReLU + pool, conv 16 + ReLU + pool, linear 400→10; every agent starts from the same init.</summary>
    private static Sequential Model(ulong seed)
    {
        var rng = new RngStream(seed, 0);
        return new Sequential(
            ("conv1", new Conv2d(1, 8, 3, rng)),
            ("bn1", new BatchNorm2d(8)),
            ("relu1", new ReLU()),
            ("pool1", new MaxPool2d(2)),
            ("conv2", new Conv2d(8, 16, 3, rng)),
            ("relu2", new ReLU()),
            ("pool2", new MaxPool2d(2)),
            ("flatten", new Flatten()),
            ("fc", new Linear(16 * 5 * 5, 10, rng)));
    }

    private static DecentralizedRunner Runner(Communication communication, ulong seed, Func<ITopology, TensorLayout, IGossip>? gossip = null, ITopology? topology = null)
    {
        var (train, test) = Datasets();
        var partition = new IidPartitioner(Agents).Split(train.Labels, train.Classes, new RngStream(seed, 1));
        var agents = Enumerable.Range(0, Agents)
            .Select(i => new Agent(i, Model(seed), train.Subset(partition.Indices[i]), BatchSize, 0.05, seed, Normalization.FashionMnist))
            .ToArray();
        var protocol = gossip?.Invoke(topology ?? new DirectedRing(Agents), agents[0].Layout);
        var ledger = new TrafficLedger();
        return new DecentralizedRunner(agents, communication, protocol, [("test", test)], Normalization.FashionMnist, new InProcessTransport(ledger), ledger);
    }

    private List<DecentralizedMetrics> Run(DecentralizedRunner runner)
    {
        var metrics = new List<DecentralizedMetrics>();
        for (int e = 0; e < Epochs; e++)
        {
            var m = runner.RunEpoch();
            output.WriteLine($"{runner.Communication}: {m}");
            metrics.Add(m);
        }
        foreach (var a in runner.Agents) a.Dispose();
        return metrics;
    }

    [Fact]
    public void SgpTrainsKeepsUnitWeightsAndCountsDenseBytes()
    {
        var runner = Runner(Communication.Gossip, 7, (t, _) => new PushSum(t));
        int d = runner.Agents[0].Layout.Total;
        var metrics = Run(runner);
        Assert.True(metrics[^1].MeanAccuracy > 0.6, $"mean agent accuracy {metrics[^1].MeanAccuracy:P1}");
        Assert.True(metrics[^1].AveragedAccuracy > 0.6, $"averaged model accuracy {metrics[^1].AveragedAccuracy:P1}");
        Assert.True(metrics[^1].MinAccuracy <= metrics[^1].MeanAccuracy && metrics[^1].MeanAccuracy <= metrics[^1].MaxAccuracy);
        // Directed ring: every agent has one in- and one out-neighbour, a = 1/2, so w = 1/2 + 1/2 = 1 exactly.
        foreach (var m in metrics) Assert.Equal((1f, 1f), (m.MinWeight, m.MaxWeight));
        // Dense push-sum message, one per agent per iteration: 22 bytes of message header, the d float32 values in
        // tensor "0" (13 bytes of tensor header) and the weight share in tensor "w" (13 + 4).
        long perMessage = 22 + 13 + 4L * d + 17;
        Assert.Equal(runner.IterationsPerEpoch * perMessage, metrics[0].BytesPerAgent);
        Assert.Equal(Epochs * runner.IterationsPerEpoch * perMessage * Agents, runner.Ledger.Total());
        Assert.All(runner.Ledger.Entries, e => Assert.Equal(perMessage, e.Bytes));
        for (int i = 0; i < Agents; i++) Assert.Equal(Epochs * runner.IterationsPerEpoch * perMessage, runner.Ledger.Node(i, sent: true));
    }

    [Fact]
    public void GossipKeepsAgentsCloserThanNoCommunication()
    {
        var sgp = Run(Runner(Communication.Gossip, 3, (t, _) => new PushSum(t)));
        var none = Run(Runner(Communication.None, 3));
        var reduce = Run(Runner(Communication.AllReduce, 3));
        for (int e = 0; e < Epochs; e++) Assert.True(sgp[e].ConsensusDistance < 0.5 * none[e].ConsensusDistance, $"epoch {e + 1}: {sgp[e].ConsensusDistance} vs {none[e].ConsensusDistance}");
        Assert.Equal(0, none[^1].BytesPerAgent);
        Assert.True(reduce[^1].ConsensusDistance < 1e-6, $"all-reduce consensus {reduce[^1].ConsensusDistance}");
        Assert.True(reduce[^1].MeanAccuracy > 0.6, $"all-reduce accuracy {reduce[^1].MeanAccuracy:P1}");
    }

    [Fact]
    public void SameSeedGivesIdenticalMetricsAcrossRunsAndThreadCounts()
    {
        int saved = Workers.Count;
        try
        {
            Workers.Count = 2;
            var a = Run(Runner(Communication.Gossip, 11, (t, l) => SparsePush.Create(t, l, keep: 0.1)));
            var b = Run(Runner(Communication.Gossip, 11, (t, l) => SparsePush.Create(t, l, keep: 0.1)));
            Workers.Count = 1;
            var c = Run(Runner(Communication.Gossip, 11, (t, l) => SparsePush.Create(t, l, keep: 0.1)));
            Assert.Equal(a, b);
            Assert.Equal(a, c);
            Assert.True(a[^1].BytesPerAgent > 0);
        }
        finally
        {
            Workers.Count = saved;
        }
    }

    [Fact]
    public void SgpOnANonRegularDigraphConservesTotalWeightAndStillTrains()
    {
        // Random out-degree-1 digraph re-drawn every iteration: in-degrees differ, so the weights leave 1.
        var runner = Runner(Communication.Gossip, 13, (t, _) => new PushSum(t), new RandomDigraph(Agents, 1, 1, 13));
        var metrics = Run(runner);
        Assert.True(metrics.Any(m => m.MinWeight < 0.99f || m.MaxWeight > 1.01f), "weights never left 1 on a non-regular graph");
        Assert.Equal(Agents, runner.Agents.Sum(a => (double)a.Node.W), 4);
        Assert.True(metrics[^1].MeanAccuracy > 0.6, $"mean agent accuracy {metrics[^1].MeanAccuracy:P1}");
    }
}
