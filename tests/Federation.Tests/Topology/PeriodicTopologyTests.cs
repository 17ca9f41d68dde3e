using FsCheck;
using FsCheck.Fluent;
using NanoFed.Federation.Topology;
using Xunit;

namespace NanoFed.Tests.Federation;

public class PeriodicTopologyTests
{
    [Fact]
    public void GossipRoundsAreEveryHthIterationWithTheGraphsPeersOfTheirRound()
    {
        var gen = from kind in Gen.Choose(0, 5)
                  from n in Gen.Choose(2, 12)
                  from seed in Gen.Choose(0, 10_000)
                  from every in Gen.Choose(1, 9)
                  from t in Gen.Choose(0, 500)
                  select (kind, n, seed, every, t);
        Prop.ForAll(Arb.From(gen), c =>
        {
            var graph = TopologyTests.Make(c.kind, c.n, c.seed);
            var periodic = new PeriodicTopology(graph, c.every);
            bool round = (c.t + 1) % c.every == 0;
            Assert.Equal(round, periodic.IsRound(c.t));
            for (int i = 0; i < graph.NodeCount; i++)
                Assert.Equal(round ? graph.OutPeers(i, c.t / c.every) : [], periodic.OutPeers(i, c.t));
            Assert.Equal(graph.IsRegular, periodic.IsRegular);
            Assert.Equal(c.every > 1 || graph.IsDynamic, periodic.IsDynamic);
            Assert.Same(graph, PeriodicTopology.Underlying(periodic));
            Assert.Same(graph, PeriodicTopology.Underlying(graph));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void EveryOneIsTheGraphItself()
    {
        var graph = new ExponentialGraph(8);
        var periodic = new PeriodicTopology(graph, 1);
        for (long t = 0; t < 12; t++)
            for (int i = 0; i < 8; i++) Assert.Equal(graph.OutPeers(i, t), periodic.OutPeers(i, t));
    }

    [Fact]
    public void AZeroPeriodIsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeriodicTopology(new DirectedRing(4), 0));
}
