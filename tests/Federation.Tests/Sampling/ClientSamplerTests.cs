using FsCheck;
using FsCheck.Fluent;
using NanoFed.Federation.Sampling;
using Xunit;

namespace NanoFed.Tests;

public class ClientSamplerTests
{
    private static Gen<(int N, int K, int Seed, int Round)> Cases =>
        from n in Gen.Choose(1, 200)
        from k in Gen.Choose(0, n)
        from seed in Gen.Choose(0, 1_000_000)
        from round in Gen.Choose(0, 10_000)
        select (n, k, seed, round);

    [Fact]
    public void DistinctInRangeSortedAndReproducible() =>
        Prop.ForAll(Arb.From(Cases), c =>
        {
            var sampler = new ClientSampler(c.N, c.K, (ulong)c.Seed);
            var a = sampler.Sample(c.Round);
            Assert.Equal(c.K, a.Length);
            Assert.All(a, i => Assert.InRange(i, 0, c.N - 1));
            for (int j = 1; j < a.Length; j++) Assert.True(a[j] > a[j - 1]);
            Assert.Equal(a, new ClientSampler(c.N, c.K, (ulong)c.Seed).Sample(c.Round));
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void DifferentRoundsDiffer()
    {
        var sampler = new ClientSampler(100, 20, 42);
        var rounds = Enumerable.Range(0, 50).Select(r => string.Join(",", sampler.Sample(r))).ToList();
        Assert.Equal(50, rounds.Distinct().Count());
        Assert.NotEqual(sampler.Sample(3), new ClientSampler(100, 20, 43).Sample(3));
    }

    [Fact]
    public void EveryClientIsSampledAboutEquallyOften()
    {
        var sampler = new ClientSampler(10, 3, 9);
        var count = new int[10];
        for (int r = 0; r < 3000; r++)
            foreach (int i in sampler.Sample(r)) count[i]++;
        // Expected 900 each; binomial sd about 25.
        Assert.All(count, n => Assert.InRange(n, 800, 1000));
    }
}
