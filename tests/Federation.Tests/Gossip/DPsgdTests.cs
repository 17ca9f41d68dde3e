using FsCheck;
using FsCheck.Fluent;
using NanoFed.Federation.Compression;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests.Federation;

public class DPsgdTests
{
    /// <summary>Undirected graphs of the tests: rings, tori and a hand-made non-regular graph (degrees 3, 2, 2, 2, 1).</summary>
    internal static ITopology Named(string name) => name switch
    {
        "ring8" => new UndirectedRing(8),
        "ring5" => new UndirectedRing(5),
        "torus4x4" => new Torus(4, 4),
        "torus2x4" => new Torus(2, 4),
        _ => new Graph([[1, 2, 3], [0, 2], [0, 1], [0, 4], [3]]),
    };

    /// <summary>Each graph with the iterations it is given; measured first iteration below 1e-5 (<see cref="IterationsToOneEMinusFive"/>): 56, 20, 24, 19, 83.</summary>
    public static TheoryData<string, int> Graphs => new() { { "ring8", 80 }, { "ring5", 40 }, { "torus4x4", 35 }, { "torus2x4", 25 }, { "irregular5", 100 } };

    /// <summary>A random undirected graph on n nodes: each pair is an edge with probability 1/2, drawn from (seed, n).</summary>
    private static Graph RandomGraph(int n, int seed)
    {
        var rng = new RngStream((ulong)seed, (ulong)n);
        var peers = Enumerable.Range(0, n).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if (rng.NextInt(2) == 1) { peers[i].Add(j); peers[j].Add(i); }
        return new Graph(peers.Select(p => p.Order().ToArray()).ToArray());
    }

    [Fact]
    public void MetropolisMatrixIsSymmetricAndDoublyStochastic()
    {
        var gen = from kind in Gen.Choose(0, 2)
                  from n in Gen.Choose(2, 12)
                  from seed in Gen.Choose(0, 10_000)
                  select (kind, n, seed);
        Prop.ForAll(Arb.From(gen), c =>
        {
            ITopology topology = c.kind switch
            {
                0 => new UndirectedRing(c.n),
                1 => new Torus(1 + c.seed % 4, Math.Max(2, c.n / (1 + c.seed % 4))),
                _ => RandomGraph(c.n, c.seed),
            };
            var w = MixingMatrix.At(topology, 0, new DPsgd(topology).Mixing);
            Assert.Equal(w, w.Transpose());
            foreach (double s in MixingMatrix.ColumnSums(w)) Assert.Equal(1.0, s, 12);
            foreach (double s in MixingMatrix.RowSums(w)) Assert.Equal(1.0, s, 12);
            for (int i = 0; i < topology.NodeCount; i++)
            {
                var peers = topology.OutPeers(i, 0);
                for (int j = 0; j < topology.NodeCount; j++)
                {
                    Assert.True(w[i, j] >= 0);
                    if (j != i && !peers.Contains(j)) Assert.Equal(0, w[i, j]);
                    if (peers.Contains(j)) Assert.Equal(1.0 / (1 + Math.Max(peers.Length, topology.OutPeers(j, 0).Length)), w[i, j]);
                }
            }
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData("ring8")]
    [InlineData("ring5")]
    [InlineData("torus4x4")]
    [InlineData("torus2x4")]
    public void RegularGraphsGetExactlyTheUniformWeights(string name)
    {
        var topology = Named(name);
        Assert.Equal(MixingMatrix.At(topology, 0), MixingMatrix.At(topology, 0, MetropolisMixing.Instance));
        for (int i = 0; i < topology.NodeCount; i++)
            Assert.Equal(UniformMixing.Instance.Weight(topology, i, 0), MetropolisMixing.Instance.Weight(topology, i, 0));
    }

    [Fact]
    public void OneWeightPerSenderIsRefusedWhereMetropolisWeightsDifferPerEdge()
    {
        var topology = Named("irregular5");
        Assert.Equal(0.25, MetropolisMixing.Instance.Weight(topology, 0, 0));
        var e = Assert.Throws<InvalidOperationException>(() => MetropolisMixing.Instance.Weight(topology, 1, 0));
        Assert.Contains("neighbour 0 has degree 3 > 2", e.Message, StringComparison.Ordinal);
        Assert.Equal(1 - 0.25 - 1.0 / 3, MetropolisMixing.Instance.EdgeWeight(topology, 1, 1, 0), 15);
    }

    [Theory]
    [MemberData(nameof(Graphs))]
    public void GossipReachesTheExactAverageAndConservesTheSum(string name, int iterations)
    {
        var protocol = new DPsgd(Named(name));
        var nodes = PushSumTests.Nodes(protocol, 200, 3, out var average);
        for (long t = 0; t < iterations; t++)
        {
            GossipLoop.Step(protocol, nodes, t);
            for (int k = 0; k < average.Length; k++) Assert.Equal(average[k], nodes.Average(v => (double)v.Z[k]), 5e-6);
            Assert.All(nodes, v => Assert.Equal(1f, v.W));
        }
        double error = GossipLoop.MaxError(nodes, average);
        Assert.True(error < 1e-5, $"{name}: max |x_i − average| = {error} after {iterations} iterations");
    }

    /// <summary>
    /// Iterations until every node is within 1e-5 of the average: the better connected graph (larger spectral gap) needs
    /// fewer, as the mixing rate |λ2|^t predicts.
    /// </summary>
    [Theory]
    [InlineData("torus4x4", "ring8")]
    [InlineData("torus2x4", "ring8")]
    [InlineData("ring5", "ring8")]
    public void ABetterConnectedGraphReachesTheAverageSooner(string better, string worse) =>
        Assert.True(IterationsToOneEMinusFive(better) < IterationsToOneEMinusFive(worse),
            $"{better}: {IterationsToOneEMinusFive(better)} iterations, {worse}: {IterationsToOneEMinusFive(worse)}");

    private static int IterationsToOneEMinusFive(string name)
    {
        var protocol = new DPsgd(Named(name));
        var nodes = PushSumTests.Nodes(protocol, 200, 3, out var average);
        int t = 0;
        while (GossipLoop.MaxError(nodes, average) >= 1e-5 && t < 1000) GossipLoop.Step(protocol, nodes, t++);
        Assert.True(t < 1000, $"{name}: max error still at least 1e-5 after 1000 iterations");
        return t;
    }

    [Fact]
    public void TimeVaryingUndirectedGraphReachesTheAverage()
    {
        var protocol = new DPsgd(new Alternating(6));
        var nodes = PushSumTests.Nodes(protocol, 50, 8, out var average);
        for (long t = 0; t < 60; t++) GossipLoop.Step(protocol, nodes, t);
        Assert.True(GossipLoop.MaxError(nodes, average) < 1e-5);
    }

    [Fact]
    public void OneWayEdgesAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new DPsgd(new DirectedRing(5)));
        Assert.Contains("DirectedRing is not symmetric at iteration 0: node 0 sends to 1 but 1 does not send to 0", e.Message, StringComparison.Ordinal);
        var lateOneWay = new DPsgd(new Alternating(6, oneWayAtOddT: true));
        var nodes = PushSumTests.Nodes(lateOneWay, 4, 1, out _);
        GossipLoop.Step(lateOneWay, nodes, 0);
        e = Assert.Throws<ArgumentException>(() => GossipLoop.Step(lateOneWay, nodes, 1));
        Assert.Contains("not symmetric at iteration 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MessagesAreTheDenseModelWithoutAWeight()
    {
        var protocol = new DPsgd(new Torus(3, 4));
        var nodes = PushSumTests.Nodes(protocol, 1500, 1, out _);
        var x0 = nodes[5].Z.ToArray();
        var messages = GossipLoop.Step(protocol, nodes, 0);
        Assert.Equal(12 * 4, messages.Count);
        Assert.All(messages, m => Assert.Equal(22 + 13 + 4 * 1500, WireFormat.Size(m)));
        Assert.Equal(x0, messages.First(m => m.Sender == 5).Payload.Single().Values);
    }

    /// <summary>A fixed graph from adjacency lists (increasing order).</summary>
    internal sealed class Graph(int[][] peers) : ITopology
    {
        public int NodeCount => peers.Length;
        public bool IsRegular => peers.All(p => p.Length == peers[0].Length);
        public bool IsDynamic => false;
        public int[] OutPeers(int i, long t) => peers[i];
    }

    /// <summary>
    /// An undirected graph on an even n that changes with t: the ring at even t, the perfect matching i ↔ i + n/2 at odd t
    /// (or, when asked, a one-way shift i → i + 1 at odd t).
    /// </summary>
    internal sealed class Alternating(int n, bool oneWayAtOddT = false) : ITopology
    {
        public int NodeCount => n;
        public bool IsRegular => true;
        public bool IsDynamic => true;

        public int[] OutPeers(int i, long t) => t % 2 == 0 ? new[] { (i + n - 1) % n, (i + 1) % n }.Order().ToArray()
            : oneWayAtOddT ? [(i + 1) % n] : [(i + n / 2) % n];
    }
}
