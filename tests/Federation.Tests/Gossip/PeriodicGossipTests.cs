using NanoFed.Federation.Compression;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests.Federation;

public class PeriodicGossipTests
{
    private static readonly TensorLayout Layout = new(300, 120);

    private static IGossip Protocol(string kind, ITopology topology) => kind switch
    {
        "sgp" => new PushSum(topology),
        "sparse-push" => SparsePush.Create(topology, Layout, keep: 0.05, gamma: 0.3f),
        _ => new DifferenceGossip(topology, new QuantizeCompressor(4), 0.5f, Layout),
    };

    [Theory]
    [InlineData("sgp", 3)]
    [InlineData("sparse-push", 4)]
    [InlineData("quantize", 5)]
    public void HIterationsOfThePeriodicProtocolAreOneRoundOfTheProtocolOnTheGraph(string kind, int every)
    {
        var graph = new ExponentialGraph(8);
        var periodic = new PeriodicGossip(Protocol(kind, new PeriodicTopology(graph, every)));
        var plain = Protocol(kind, graph);
        var a = PushSumTests.Nodes(periodic, Layout.Total, 7, out _);
        var b = PushSumTests.Nodes(plain, Layout.Total, 7, out _);
        var ledgerA = new TrafficLedger();
        var ledgerB = new TrafficLedger();
        var transportA = new InProcessTransport(ledgerA);
        var transportB = new InProcessTransport(ledgerB);
        for (long r = 0; r < 6; r++)
        {
            for (long t = r * every; t < (r + 1) * every; t++)
            {
                var sent = GossipLoop.Step(periodic, a, t, transportA);
                Assert.Equal(periodic.Topology.OutPeers(0, t).Length == 0, sent.Count == 0);
                Assert.True(sent.All(m => m.Round == t));
            }
            GossipLoop.Step(plain, b, r, transportB);
            for (int i = 0; i < a.Length; i++)
            {
                Assert.Equal(b[i].Z, a[i].Z);
                Assert.Equal(b[i].W, a[i].W);
            }
            Assert.Equal(ledgerB.Total(MessagePhase.Training), ledgerA.Total(MessagePhase.Training));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void ABurstOfThreePushSumRoundsOnTheExponentialGraphOfEightAveragesExactly(long firstPeriod)
    {
        // The burst's rounds use hops 1, 2 and 4: the product of their mixing matrices is the all-1/8 matrix.
        const int Every = 7;
        var periodic = new PeriodicGossip(new PushSum(new PeriodicTopology(new ExponentialGraph(8), [Every], [0], burst: 3)));
        var nodes = PushSumTests.Nodes(periodic, Layout.Total, 11, out _);
        var transport = new InProcessTransport(new TrafficLedger());
        for (long t = 0; t < firstPeriod * Every; t++) GossipLoop.Step(periodic, nodes, t, transport);
        var mean = new double[Layout.Total];
        foreach (var node in nodes)
            for (int j = 0; j < mean.Length; j++) mean[j] += node.Z[j] / node.W / nodes.Length;
        for (long t = firstPeriod * Every; t < (firstPeriod + 1) * Every; t++) GossipLoop.Step(periodic, nodes, t, transport);
        foreach (var node in nodes)
            for (int j = 0; j < mean.Length; j++) Assert.Equal(mean[j], node.Z[j] / node.W, 4);
    }

    [Fact]
    public void MessagesBetweenRoundsAreRefused()
    {
        var graph = new DirectedRing(4);
        var periodic = new PeriodicGossip(new PushSum(new PeriodicTopology(graph, 4)));
        var nodes = PushSumTests.Nodes(periodic, 10, 1, out _);
        var stray = new PushSum(graph).Send(nodes[3], 3, 1);
        var e = Assert.Throws<InvalidOperationException>(() => periodic.Receive(nodes[0], 0, 1, stray, []));
        Assert.Contains("between gossip rounds", e.Message);
    }

    [Fact]
    public void AProtocolOverAnOrdinaryGraphIsRejected() =>
        Assert.Throws<ArgumentException>(() => new PeriodicGossip(new PushSum(new DirectedRing(4))));
}
