using FsCheck;
using FsCheck.Fluent;
using NanoFed.Federation.Partitioning;
using Xunit;

namespace NanoFed.Tests;

public class PartitionerTests
{
    /// <summary>Balanced labels: <paramref name="perClass"/> of each class, interleaved (i mod classes).</summary>
    private static int[] Balanced(int classes, int perClass) => Enumerable.Range(0, classes * perClass).Select(i => i % classes).ToArray();

    /// <summary>Random labels in 0..classes−1.</summary>
    private static int[] RandomLabels(int n, int classes, int seed)
    {
        var rng = new RngStream((ulong)seed, 3);
        return Enumerable.Range(0, n).Select(_ => rng.NextInt(classes)).ToArray();
    }

    private static void CoversExactlyOnce(Partition p, int n)
    {
        var seen = new int[n];
        foreach (var client in p.Indices)
            foreach (int i in client) seen[i]++;
        Assert.All(seen, s => Assert.Equal(1, s));
    }

    private static void HistogramsMatch(Partition p, int[] labels)
    {
        for (int c = 0; c < p.Clients; c++)
            for (int k = 0; k < p.Classes; k++)
                Assert.Equal(p.Indices[c].Count(i => labels[i] == k), p.Histograms[c][k]);
    }

    private static Gen<(int Clients, int Classes, int N, int Seed)> Cases =>
        from clients in Gen.Choose(1, 12)
        from classes in Gen.Choose(1, 10)
        from n in Gen.Choose(0, 400)
        from seed in Gen.Choose(0, 1_000_000)
        select (clients, classes, n, seed);

    [Fact]
    public void IidCoversOnceWithSizesDifferingByAtMostOne() =>
        Prop.ForAll(Arb.From(Cases), c =>
        {
            var labels = RandomLabels(c.N, c.Classes, c.Seed);
            var p = new IidPartitioner(c.Clients).Split(labels, c.Classes, new RngStream((ulong)c.Seed, 1));
            CoversExactlyOnce(p, c.N);
            HistogramsMatch(p, labels);
            Assert.All(p.Indices, x => Assert.InRange(x.Length, c.N / c.Clients, (c.N + c.Clients - 1) / c.Clients));
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void DirichletCoversOnce() =>
        Prop.ForAll(Arb.From(Cases), Arb.From(Gen.Elements(0.05, 0.5, 1.0, 100.0)), (c, alpha) =>
        {
            var labels = RandomLabels(c.N, c.Classes, c.Seed);
            var p = new DirichletPartitioner(c.Clients, alpha).Split(labels, c.Classes, new RngStream((ulong)c.Seed, 1));
            CoversExactlyOnce(p, c.N);
            HistogramsMatch(p, labels);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void BalancedDirichletCoversOnceWithEqualSizes() =>
        Prop.ForAll(Arb.From(Cases), Arb.From(Gen.Elements(0.05, 0.1, 1.0, 100.0)), (c, alpha) =>
        {
            var labels = RandomLabels(c.N, c.Classes, c.Seed);
            var p = new DirichletPartitioner(c.Clients, alpha, balanced: true).Split(labels, c.Classes, new RngStream((ulong)c.Seed, 1));
            CoversExactlyOnce(p, c.N);
            HistogramsMatch(p, labels);
            int size = c.N / c.Clients;
            for (int i = 0; i < c.Clients - 1; i++) Assert.Equal(size, p.Indices[i].Length);
            Assert.Equal(c.N - size * (c.Clients - 1), p.Indices[^1].Length);
        }).QuickCheckThrowOnFailure();

    /// <summary>
    /// CIFAR-10's shape (8 agents, 10 classes of 5,000) at alpha 0.1: equal parts of 6,250 whose labels stay skewed
    /// (the unbalanced split gives the same seed's agents 1,000 to 15,000 images).
    /// </summary>
    [Fact]
    public void BalancedDirichletKeepsTheLabelSkew()
    {
        var labels = Balanced(10, 5000);
        var p = new DirichletPartitioner(8, 0.1, balanced: true).Split(labels, 10, new RngStream(0, 1));
        Assert.All(p.Indices, x => Assert.Equal(6250, x.Length));
        Assert.StartsWith("dirichlet-balanced(0.1)", p.Method);
        // The largest class of an agent: 57% of its images on average (a tenth under IID).
        double top = p.Indices.Average(x => x.GroupBy(i => labels[i]).Max(g => g.Count()) / (double)x.Length);
        Assert.True(top > 0.4, $"{p.Summary()}, mean largest-class share {top:F2}");
        var unbalanced = new DirichletPartitioner(8, 0.1).Split(labels, 10, new RngStream(0, 1));
        Assert.True(unbalanced.Indices.Max(x => x.Length) > 2 * unbalanced.Indices.Min(x => x.Length), unbalanced.Summary());
    }

    [Fact]
    public void SkewCoversOnceWithSpecSizes() =>
        Prop.ForAll(Arb.From(Cases), Arb.From(Gen.Elements(0.0, 0.25, 0.5, 0.8, 1.0)), (c, skew) =>
        {
            var labels = RandomLabels(c.N, c.Classes, c.Seed);
            var p = new SkewPartitioner(c.Clients, skew).Split(labels, c.Classes, new RngStream((ulong)c.Seed, 1));
            CoversExactlyOnce(p, c.N);
            HistogramsMatch(p, labels);
            // Sorted pool P = Σ_c floor(s·|c|), rest R = N − P; each agent holds floor or ceil of P/n plus of R/n.
            long pool = Enumerable.Range(0, c.Classes).Sum(k => (long)Math.Floor(skew * labels.Count(l => l == k)));
            long rest = c.N - pool;
            Assert.All(p.Indices, x => Assert.InRange(x.Length, pool / c.Clients + rest / c.Clients, (pool + c.Clients - 1) / c.Clients + (rest + c.Clients - 1) / c.Clients));
        }).QuickCheckThrowOnFailure();

    private static Gen<(int Clients, int PerClient, int Size, int Seed)> ShardCases =>
        from clients in Gen.Choose(1, 10)
        from perClient in Gen.Choose(1, 4)
        from size in Gen.Choose(1, 8)
        from seed in Gen.Choose(0, 1_000_000)
        select (clients, perClient, size, seed);

    [Fact]
    public void ShardsCoverOnceWithEqualSizesAndFewClasses() =>
        Prop.ForAll(Arb.From(ShardCases), c =>
        {
            var (clients, perClient, size, seed) = c;
            int shards = clients * perClient;
            var labels = RandomLabels(shards * size, 10, seed);
            var p = new ShardPartitioner(clients, shards, perClient).Split(labels, 10, new RngStream((ulong)seed, 1));
            CoversExactlyOnce(p, labels.Length);
            HistogramsMatch(p, labels);
            Assert.All(p.Indices, x => Assert.Equal(perClient * size, x.Length));
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void ShardsOfWholeClassesGiveAtMostShardsPerClientClasses() =>
        Prop.ForAll(Arb.From(ShardCases), c =>
        {
            var (clients, perClient, size, seed) = c;
            int shards = clients * perClient;
            // Class sizes that are multiples of the shard size: shards never straddle two classes.
            int classes = Enumerable.Range(1, shards).Last(k => shards % k == 0 && k <= 10);
            var labels = Balanced(classes, shards / classes * size);
            var p = new ShardPartitioner(clients, shards, perClient).Split(labels, classes, new RngStream((ulong)seed, 1));
            CoversExactlyOnce(p, labels.Length);
            Assert.All(Enumerable.Range(0, clients), i => Assert.InRange(p.ClassesHeld(i), 1, perClient));
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void EcoFedShardsGiveAtMostFiveClassesToEachOf100Clients()
    {
        var labels = Balanced(10, 5000);
        var p = new ShardPartitioner(100, 500, 5).Split(labels, 10, new RngStream(42, 1));
        CoversExactlyOnce(p, labels.Length);
        Assert.All(p.Indices, x => Assert.Equal(500, x.Length));
        Assert.All(Enumerable.Range(0, 100), c => Assert.InRange(p.ClassesHeld(c), 1, 5));
        // Every client's data is whole shards of one class each: histogram entries are multiples of 100.
        Assert.All(p.Histograms, h => Assert.All(h, n => Assert.Equal(0, n % 100)));
        Assert.StartsWith("shards(500 x 100, 5 per client): 100 clients, 50000 samples, size 500/500.0/500, classes ", p.Summary());
    }

    [Fact]
    public void SkewOneIsSortedAndSkewZeroIsIidLike()
    {
        var labels = Balanced(10, 100);
        var sorted = new SkewPartitioner(10, 1.0).Split(labels, 10, new RngStream(7, 1));
        for (int c = 0; c < 10; c++)
        {
            Assert.Equal(1, sorted.ClassesHeld(c));
            Assert.Equal(100, sorted.Histograms[c][c]);
        }
        var iid = new SkewPartitioner(10, 0.0).Split(labels, 10, new RngStream(7, 1));
        // A random split of 1000 into 10 x 100: every client sees every class, and no class dominates.
        for (int c = 0; c < 10; c++)
        {
            Assert.True(iid.ClassesHeld(c) >= 8, iid.Summary());
            Assert.True(iid.Histograms[c].Max() <= 30, iid.Summary());
        }
        var half = new SkewPartitioner(10, 0.5).Split(labels, 10, new RngStream(7, 1));
        for (int c = 0; c < 10; c++) Assert.True(half.Histograms[c][c] >= 50, half.Summary());
    }

    [Fact]
    public void DirichletSmallAlphaIsSkewedLargeAlphaIsNot()
    {
        var labels = Balanced(10, 500);
        var skewed = new DirichletPartitioner(20, 0.05).Split(labels, 10, new RngStream(5, 1));
        var flat = new DirichletPartitioner(20, 1000).Split(labels, 10, new RngStream(5, 1));
        double skewedClasses = Enumerable.Range(0, 20).Average(skewed.ClassesHeld);
        double flatClasses = Enumerable.Range(0, 20).Average(flat.ClassesHeld);
        Assert.True(skewedClasses < 4, skewed.Summary());
        Assert.Equal(10.0, flatClasses);
        var tiny = new DirichletPartitioner(20, 1e-4).Split(labels, 10, new RngStream(5, 1));
        CoversExactlyOnce(tiny, labels.Length);
        var min = new DirichletPartitioner(20, 0.1, minPerClient: 10).Split(labels, 10, new RngStream(5, 1));
        Assert.All(min.Indices, x => Assert.True(x.Length >= 10));
    }

    public static TheoryData<string> Methods => new() { "iid", "shards", "dirichlet", "skew" };

    private static IPartitioner Make(string method) => method switch
    {
        "iid" => new IidPartitioner(10),
        "shards" => new ShardPartitioner(10, 50, 5),
        "dirichlet" => new DirichletPartitioner(10, 0.3),
        _ => new SkewPartitioner(10, 0.6),
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void SameSeedSamePartitionOtherSeedOther(string method)
    {
        var labels = Balanced(10, 100);
        var a = Make(method).Split(labels, 10, new RngStream(11, 2));
        var b = Make(method).Split(labels, 10, new RngStream(11, 2));
        var c = Make(method).Split(labels, 10, new RngStream(12, 2));
        Assert.Equal(a.Indices, b.Indices);
        Assert.NotEqual(a.Indices, c.Indices);
    }

    [Fact]
    public void BadInputsGiveOneLineErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => new IidPartitioner(2).Split([0, 3], 3, new RngStream(1, 1)));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Throws<ArgumentException>(() => new ShardPartitioner(3, 10, 5));
        Assert.Throws<ArgumentException>(() => new ShardPartitioner(2, 4, 2).Split(Balanced(3, 3), 3, new RngStream(1, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SkewPartitioner(2, 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DirichletPartitioner(2, 0));
    }
}
