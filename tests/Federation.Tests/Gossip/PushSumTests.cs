using NanoFed.Federation.Compression;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests.Federation;

public class PushSumTests(ITestOutputHelper output)
{
    internal static GossipNode[] Nodes(IGossip protocol, int d, int seed, out double[] average)
    {
        int n = protocol.Topology.NodeCount;
        var nodes = new GossipNode[n];
        average = new double[d];
        for (int i = 0; i < n; i++)
        {
            var x = new float[d];
            new RngStream((ulong)seed, (ulong)i).FillNormal(x);
            nodes[i] = protocol.CreateNode(x);
            for (int k = 0; k < d; k++) average[k] += x[k];
        }
        for (int k = 0; k < d; k++) average[k] /= n;
        return nodes;
    }

    public static TheoryData<string> RegularDirected => new() { "ring8", "ring5", "exp8", "exp16", "perm8" };

    private static ITopology Named(string name) => name switch
    {
        "ring8" => new DirectedRing(8),
        "ring5" => new DirectedRing(5),
        "exp8" => new ExponentialGraph(8),
        "exp16" => new ExponentialGraph(16),
        _ => new PermutationGraphs(8, 4, 3, 11),
    };

    [Theory]
    [MemberData(nameof(RegularDirected))]
    public void WeightsStayExactlyOneOnRegularDirectedGraphs(string name)
    {
        var protocol = new PushSum(Named(name));
        var nodes = Nodes(protocol, 50, 1, out var average);
        for (long t = 0; t < 200; t++)
        {
            GossipLoop.Step(protocol, nodes, t);
            Assert.All(nodes, v => Assert.Equal(1f, v.W));
        }
        Assert.True(GossipLoop.MaxError(nodes, average) < 1e-5);
    }

    [Fact]
    public void NonRegularTimeVaryingDigraphReachesTheExactAverage()
    {
        // Random digraph, n = 8, out-degree 2, re-drawn every iteration: column-stochastic only, the weights move away
        // from 1, and x_i = z_i / w_i (float arithmetic) must reach the double-precision average of the initial values.
        const int Iterations = 60;
        var topology = new RandomDigraph(8, 2, 1, 2026);
        var protocol = new PushSum(topology);
        var nodes = Nodes(protocol, 200, 3, out var average);
        bool weightsMoved = false;
        for (long t = 0; t < Iterations; t++)
        {
            GossipLoop.Step(protocol, nodes, t);
            weightsMoved |= nodes.Any(v => Math.Abs(v.W - 1) > 0.05);
        }
        Assert.True(weightsMoved, "the digraph should not be doubly stochastic");
        Assert.False(topology.IsRegular);
        double error = GossipLoop.MaxError(nodes, average);
        Assert.True(error < 1e-5, $"max |x_i − average| = {error} after {Iterations} iterations");
    }

    [Fact]
    [Trait("Category", "Experiment")]
    public void NonRegularConsensusIterationsToOneEMinusFive()
    {
        // Measurement for the report: first iteration where max |x_i − average| < 1e-5 on RandomDigraph(8, 2, 1, 2026).
        var protocol = new PushSum(new RandomDigraph(8, 2, 1, 2026));
        var nodes = Nodes(protocol, 200, 3, out var average);
        int t = 0;
        while (GossipLoop.MaxError(nodes, average) >= 1e-5 && t < 1000) GossipLoop.Step(protocol, nodes, t++);
        output.WriteLine($"push-sum, random digraph n=8 d=2 T=1: max error below 1e-5 after {t} iterations; weights {string.Join(", ", nodes.Select(v => v.W.ToString("F4")))}");
        Assert.True(t <= 60);
    }

    [Fact]
    public void HandMadeNonRegularDigraphReachesTheAverage()
    {
        // 0 → {1, 2}, 1 → {2}, 2 → {0}: in-degrees 1, 1, 2; fixed, aperiodic thanks to the self-loops.
        var protocol = new PushSum(new FixedDigraph([[1, 2], [2], [0]]));
        var nodes = Nodes(protocol, 10, 4, out var average);
        for (long t = 0; t < 120; t++) GossipLoop.Step(protocol, nodes, t);
        Assert.NotEqual(1f, nodes[2].W);
        Assert.True(GossipLoop.MaxError(nodes, average) < 1e-5);
    }

    [Fact]
    public void UncompressedFormsMatchPushSum()
    {
        var topology = new RandomDigraph(8, 2, 3, 5);
        var layout = new TensorLayout(30, 20);
        IGossip[] protocols = [new PushSum(topology), new ErrorFeedbackGossip(topology, NoCompression.Instance, 1, layout), new DifferenceGossip(topology, NoCompression.Instance, 1, layout)];
        var states = protocols.Select(p => Nodes(p, 50, 6, out _)).ToArray();
        for (long t = 0; t < 30; t++)
            for (int p = 0; p < protocols.Length; p++) GossipLoop.Step(protocols[p], states[p], t);
        for (int p = 1; p < protocols.Length; p++)
            for (int i = 0; i < 8; i++)
            {
                Assert.Equal(states[0][i].W, states[p][i].W, 1e-5f);
                var x0 = states[0][i].Estimate();
                var x = states[p][i].Estimate();
                for (int k = 0; k < x.Length; k++) Assert.Equal(x0[k], x[k], 1e-4f);
            }
    }

    [Fact]
    public void DifferenceGossipCopiesAgreeBitwiseOnATimeVaryingGraph()
    {
        var topology = new RandomDigraph(6, 2, 2, 8);
        var protocol = new DifferenceGossip(topology, new TopKCompressor(0.05), 0.1f, new TensorLayout(64, 36));
        var nodes = Nodes(protocol, 100, 7, out _);
        for (long t = 0; t < 40; t++) GossipLoop.Step(protocol, nodes, t);
        int edges = 0;
        for (int i = 0; i < 6; i++)
            foreach (var (j, copy) in ((DifferenceGossip.Node)nodes[i]).OutCopies)
            {
                Assert.Equal(copy, ((DifferenceGossip.Node)nodes[j]).InCopies[i]);
                edges++;
            }
        Assert.True(edges > 12);
    }

    [Fact]
    public void CompressedFormsConserveTheSum()
    {
        var topology = new ExponentialGraph(8);
        var layout = new TensorLayout(1000);
        IGossip[] protocols = [new ErrorFeedbackGossip(topology, new TopKCompressor(0.01), 0.5f, layout), new DifferenceGossip(topology, new TopKCompressor(0.01), 0.5f, layout)];
        foreach (var protocol in protocols)
        {
            var nodes = Nodes(protocol, 1000, 9, out var average);
            for (long t = 0; t < 50; t++) GossipLoop.Step(protocol, nodes, t);
            for (int k = 0; k < 1000; k++)
            {
                double sum = nodes.Sum(v => (double)v.Z[k]) / 8;
                Assert.Equal(average[k], sum, 1e-4);
            }
            Assert.All(nodes, v => Assert.Equal(1f, v.W, 1e-6f));
        }
    }

    [Fact]
    public void MessagesCarryTheCompressedTensorsAndTheWeightShare()
    {
        var topology = new ExponentialGraph(8);
        var a = new ErrorFeedbackGossip(topology, new TopKCompressor(0.01), 0.5f, new TensorLayout(1000, 500));
        var nodes = Nodes(a, 1500, 1, out _);
        var messages = GossipLoop.Step(a, nodes, 0);
        Assert.Equal(8, messages.Count);
        // Message header 22; tensors "0" and "1" of rank 1 (header 13 + k 4 + 8 per kept entry); weight "w" 13 + 4.
        Assert.All(messages, m => Assert.Equal(22 + (13 + 4 + 8 * 10) + (13 + 4 + 8 * 5) + 17, WireFormat.Size(m)));
        Assert.All(messages, m => Assert.Equal(["0", "1", "w"], m.Payload.Select(t => t.Name)));
        var dense = new PushSum(topology);
        Assert.All(GossipLoop.Step(dense, Nodes(dense, 1500, 1, out _), 0), m => Assert.Equal(22 + 13 + 4 * 1500 + 17, WireFormat.Size(m)));
    }

    /// <summary>A fixed hand-made digraph from adjacency lists.</summary>
    private sealed class FixedDigraph(int[][] peers) : ITopology
    {
        public int NodeCount => peers.Length;
        public bool IsRegular => false;
        public bool IsDynamic => false;
        public int[] OutPeers(int i, long t) => peers[i];
    }
}
