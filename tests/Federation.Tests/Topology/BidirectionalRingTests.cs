using NanoFed.Federation.Compression;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Topology;
using Xunit;

namespace NanoFed.Tests.Federation;

/// <summary>
/// The Sparse-Push authors' static bidirectional ring (CLI graph name bidirectional-ring): <see cref="UndirectedRing"/>
/// with the push-sum weights of SGP's code, uniform over the agent and its two out-neighbours.
/// </summary>
public class BidirectionalRingTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(17)]
    public void EveryAgentSendsAThirdForwardAndBackwardAtEveryIteration(long t)
    {
        const int n = 8;
        var ring = new UndirectedRing(n);
        var w = MixingMatrix.At(ring, t, UniformMixing.Instance);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal([(i + n - 1) % n, (i + 1) % n], ring.OutPeers(i, t).OrderBy(j => j == (i + n - 1) % n ? 0 : 1));
            for (int j = 0; j < n; j++)
            {
                bool edge = j == i || j == (i + 1) % n || j == (i + n - 1) % n;
                Assert.Equal(edge ? 1 / 3.0 : 0, w[j, i], 15);
            }
        }
        Assert.All(MixingMatrix.ColumnSums(w), s => Assert.Equal(1, s, 12));
        Assert.All(MixingMatrix.RowSums(w), s => Assert.Equal(1, s, 12));
        Assert.False(ring.IsDynamic);
    }

    [Fact]
    public void PushSumAndSparsePushFormBReachTheAverageWithWeightsAtOne()
    {
        var ring = new UndirectedRing(8);
        var layout = new TensorLayout(120, 80);
        foreach (var protocol in new IGossip[] { new PushSum(ring), new DifferenceGossip(ring, new TopKCompressor(0.1), 0.1f, layout) })
        {
            var nodes = PushSumTests.Nodes(protocol, layout.Total, 4, out var average);
            for (long t = 0; t < 1500; t++) GossipLoop.Step(protocol, nodes, t);
            Assert.All(nodes, v => Assert.Equal(1f, v.W, 1e-5f));
            Assert.True(GossipLoop.MaxError(nodes, average) < 1e-4, $"{protocol.GetType().Name}: {GossipLoop.MaxError(nodes, average)}");
        }
    }
}
