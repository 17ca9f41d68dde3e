using FsCheck;
using FsCheck.Fluent;
using NanoFed.Federation.Topology;
using Xunit;

namespace NanoFed.Tests.Federation;

public class TopologyTests
{
    /// <summary>Every topology kind over a range of sizes and seeds; the index picks the kind.</summary>
    internal static ITopology Make(int kind, int n, int seed) => kind switch
    {
        0 => new DirectedRing(n),
        1 => new ExponentialGraph(n),
        2 => new PermutationGraphs(n, 3, 2, (ulong)seed),
        3 => new RandomDigraph(n, 1 + seed % (n - 1), 1 + seed % 3, (ulong)seed),
        4 => new UndirectedRing(n),
        _ => new Torus(2 + seed % 3, Math.Max(1, n / (2 + seed % 3))),
    };

    [Fact]
    public void EveryMixingMatrixIsColumnStochastic()
    {
        var gen = from kind in Gen.Choose(0, 5)
                  from n in Gen.Choose(2, 12)
                  from seed in Gen.Choose(0, 10_000)
                  from t in Gen.Choose(0, 50)
                  select (kind, n, seed, t);
        Prop.ForAll(Arb.From(gen), c =>
        {
            var topo = Make(c.kind, c.n, c.seed);
            for (long t = c.t; t < c.t + 8; t++)
            {
                var w = MixingMatrix.At(topo, t);
                foreach (double s in MixingMatrix.ColumnSums(w)) Assert.Equal(1.0, s, 12);
                for (int i = 0; i < topo.NodeCount; i++)
                {
                    var peers = topo.OutPeers(i, t);
                    Assert.DoesNotContain(i, peers);
                    Assert.Equal(peers.Distinct().Count(), peers.Length);
                    Assert.All(peers, j => Assert.InRange(j, 0, topo.NodeCount - 1));
                }
                if (topo.IsRegular)
                    foreach (double s in MixingMatrix.RowSums(w)) Assert.Equal(1.0, s, 12);
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void TopologiesAreDeterministic()
    {
        for (int kind = 0; kind <= 5; kind++)
        {
            var a = Make(kind, 9, 17);
            var b = Make(kind, 9, 17);
            for (long t = 0; t < 20; t++)
                for (int i = 0; i < a.NodeCount; i++) Assert.Equal(a.OutPeers(i, t), b.OutPeers(i, t));
        }
    }

    [Fact]
    public void ExponentialGraphHopsCycleOneTwoFourForEightNodes()
    {
        var g = new ExponentialGraph(8);
        Assert.Equal([1, 2, 4, 1, 2, 4], Enumerable.Range(0, 6).Select(t => g.Hop(t)).ToArray());
        Assert.Equal([7], g.OutPeers(5, 1));
        Assert.Equal([1], g.OutPeers(5, 2));
        var g4 = new ExponentialGraph(4);
        Assert.Equal([1, 2, 1, 2], Enumerable.Range(0, 4).Select(t => g4.Hop(t)).ToArray());
    }

    [Fact]
    public void RandomDigraphIsRedrawnEveryPeriodAndHasOutDegreeD()
    {
        var g = new RandomDigraph(10, 3, 5, 42);
        for (long t = 0; t < 40; t++)
            for (int i = 0; i < 10; i++)
            {
                Assert.Equal(3, g.OutPeers(i, t).Length);
                Assert.Equal(g.OutPeers(i, t / 5 * 5), g.OutPeers(i, t));
            }
        bool changed = Enumerable.Range(0, 10).Any(i => !g.OutPeers(i, 0).SequenceEqual(g.OutPeers(i, 5)));
        Assert.True(changed);
        Assert.False(g.IsRegular);
        var inDegrees = new int[10];
        foreach (int i in Enumerable.Range(0, 10)) foreach (int j in g.OutPeers(i, 0)) inDegrees[j]++;
        Assert.True(inDegrees.Distinct().Count() > 1, "seed 42 should give unequal in-degrees (a non-regular digraph)");
    }

    [Fact]
    public void PermutationGraphsAreDerangementsRotatedPerPeriod()
    {
        var g = new PermutationGraphs(8, 3, 4, 7);
        for (int p = 0; p < 3; p++)
        {
            var perm = Enumerable.Range(0, 8).Select(i => g.OutPeers(i, p * 4)[0]).ToArray();
            Assert.Equal(Enumerable.Range(0, 8), perm.Order());
            Assert.Equal(perm, Enumerable.Range(0, 8).Select(i => g.OutPeers(i, p * 4 + 12)[0]));
        }
    }

    [Fact]
    public void TorusHasFourNeighbours()
    {
        var g = new Torus(3, 4);
        Assert.Equal([1, 3, 4, 8], g.OutPeers(0, 0));
        Assert.Equal([2, 5, 7, 10], g.OutPeers(6, 0));
    }

    [Fact]
    public void SpectralGaps()
    {
        // Directed ring, a = 1/2: eigenvalues (1 + ω^k)/2, |λ2| = cos(π/n).
        foreach (int n in new[] { 4, 8, 16 })
            Assert.Equal(1 - Math.Cos(Math.PI / n), MixingMatrix.SpectralGap(MixingMatrix.At(new DirectedRing(n), 0)), 10);
        // Undirected ring, a = 1/3: eigenvalues (1 + 2cos(2πk/n))/3; second largest modulus for n = 8 is (1 + 2cos(π/4))/3.
        Assert.Equal(1 - (1 + 2 * Math.Cos(Math.PI / 4)) / 3, MixingMatrix.SpectralGap(MixingMatrix.At(new UndirectedRing(8), 0)), 10);
        // Complete digraph (random out-degree n − 1): W = J/n, gap 1.
        Assert.Equal(1, MixingMatrix.SpectralGap(MixingMatrix.At(new RandomDigraph(6, 5, 1, 0), 0)), 10);
        // One-peer exponential graph, n = 8: the hop-2 step alone has two disjoint 4-cycles (gap 0); the period product
        // (I + P)(I + P²)(I + P⁴) / 8 = J / 8 has gap 1.
        var exp = new ExponentialGraph(8);
        Assert.Equal(0, MixingMatrix.SpectralGap(MixingMatrix.At(exp, 1)), 10);
        var product = MixingMatrix.Product(exp, 0, 3);
        Assert.Equal(1, MixingMatrix.SpectralGap(product), 10);
        Assert.All(MixingMatrix.ColumnSums(product), s => Assert.Equal(1, s, 12));
        // For the doubly stochastic symmetric undirected ring, 1 − σ2² = 1 − λ2².
        double l2 = (1 + 2 * Math.Cos(Math.PI / 4)) / 3;
        Assert.Equal(1 - l2 * l2, MixingMatrix.SingularGap(MixingMatrix.At(new UndirectedRing(8), 0)), 10);
    }
}
