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
    public void EachPhaseCountsItsOwnPeriodAndTheRoundsRunOnAcrossPhases()
    {
        var gen = from n in Gen.Choose(2, 12)
                  from phases in Gen.Choose(1, 4)
                  from periods in Gen.ArrayOf(Gen.Choose(1, 7), phases)
                  from lengths in Gen.ArrayOf(Gen.Choose(1, 40), phases - 1)
                  from burst in Gen.Choose(1, periods.Min())
                  select (n, periods, lengths, burst);
        Prop.ForAll(Arb.From(gen), c =>
        {
            var starts = new long[c.periods.Length];
            for (int k = 1; k < starts.Length; k++) starts[k] = starts[k - 1] + c.lengths[k - 1];
            var graph = new ExponentialGraph(c.n);
            var periodic = new PeriodicTopology(graph, c.periods, starts, c.burst);
            // Reference: walk the iterations, restarting the count at each phase; the burst is each period's last B.
            long rounds = 0;
            for (long t = 0; t < starts[^1] + 30; t++)
            {
                int k = Array.FindLastIndex(starts, s => s <= t);
                int position = (int)((t - starts[k]) % c.periods[k]);
                bool round = position >= c.periods[k] - c.burst;
                Assert.Equal(round, periodic.IsRound(t));
                Assert.Equal(rounds, periodic.RoundsBefore(t));
                for (int i = 0; i < c.n; i++) Assert.Equal(round ? graph.OutPeers(i, rounds) : [], periodic.OutPeers(i, t));
                if (round) rounds++;
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void PhasesMustStartAtZeroAndIncrease()
    {
        var graph = new DirectedRing(4);
        Assert.Throws<ArgumentException>(() => new PeriodicTopology(graph, [2, 3], [5, 10]));
        Assert.Throws<ArgumentException>(() => new PeriodicTopology(graph, [2, 3], [0, 0]));
        Assert.Throws<ArgumentException>(() => new PeriodicTopology(graph, [2, 3], [0]));
    }

    [Fact]
    public void AZeroPeriodIsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeriodicTopology(new DirectedRing(4), 0));

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void ABurstOutsideOneToTheShortestPeriodIsRejected(int burst) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeriodicTopology(new DirectedRing(4), [8, 3], [0, 10], burst));

    [Fact]
    public void ABurstAsLongAsThePeriodIsTheGraphItself()
    {
        var graph = new DirectedRing(5);
        var periodic = new PeriodicTopology(graph, [3], [0], burst: 3);
        Assert.False(periodic.IsDynamic);
        for (long t = 0; t < 12; t++)
            for (int i = 0; i < 5; i++) Assert.Equal(graph.OutPeers(i, t), periodic.OutPeers(i, t));
    }
}
