using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests;

[Collection(nameof(WorkerCountCollection))]
public class RngStreamTests
{
    [Fact]
    public void WordsAreThePhiloxBlocksOfTheirIndex()
    {
        var rng = new RngStream(0x0123456789ABCDEF, 0xFEDCBA9876543210);
        for (ulong j = 0; j < 12; j++)
        {
            Philox.Block((uint)(j / 4), 0, 0x76543210, 0xFEDCBA98, 0x89ABCDEF, 0x01234567, out uint r0, out uint r1, out uint r2, out uint r3);
            uint expected = (j % 4) switch { 0 => r0, 1 => r1, 2 => r2, _ => r3 };
            Assert.Equal(expected, rng.NextUInt32());
            Assert.Equal(expected, RngStream.WordAt(rng.Seed, rng.Stream, j));
        }
    }

    [Fact]
    public void SameSeedAndStreamReproduce()
    {
        var a = new RngStream(7, 3);
        var b = new RngStream(7, 3);
        for (int i = 0; i < 100; i++) Assert.Equal(a.NextUInt32(), b.NextUInt32());
        var fa = new float[1000];
        var fb = new float[1000];
        a.FillNormal(fa);
        b.FillNormal(fb);
        Close.Identical(fa, fb, "normal");
    }

    [Fact]
    public void DifferentStreamsAndSeedsDiffer()
    {
        var words = new HashSet<uint>();
        int total = 0;
        foreach (var rng in new[] { new RngStream(1, 0), new RngStream(1, 1), new RngStream(2, 0), new RngStream(1, 0).Split(0), new RngStream(1, 0).Split(1) })
        {
            for (int i = 0; i < 256; i++, total++) words.Add(rng.NextUInt32());
        }
        // 1280 random 32-bit words: a collision has probability ~2e-4.
        Assert.True(words.Count >= total - 1, $"{total - words.Count} repeated words across streams");
        Assert.NotEqual(new RngStream(1, 0).Split(5).Stream, new RngStream(1, 1).Split(5).Stream);
        Assert.Equal(new RngStream(1, 0).Split(5).Stream, new RngStream(9, 0).Split(5).Stream);
    }

    [Theory]
    [InlineData(0UL, 1)]
    [InlineData(1UL, 3)]
    [InlineData(2UL, 7)]
    [InlineData(3UL, 100)]
    [InlineData(5UL, 200_003)]
    public void FillMatchesWordByWordWhateverTheChunkingAndThreads(ulong start, int n)
    {
        var expected = new uint[n];
        var one = new RngStream(11, 4, start);
        for (int i = 0; i < n; i++) expected[i] = one.NextUInt32();

        int saved = Workers.Count;
        try
        {
            foreach (int threads in new[] { 1, 2 })
            {
                Workers.Count = threads;
                var bulk = new uint[n];
                var rng = new RngStream(11, 4, start);
                rng.Fill(bulk);
                Assert.Equal(expected, bulk);
                Assert.Equal(start + (ulong)n, rng.Position);
            }
        }
        finally
        {
            Workers.Count = saved;
        }

        // Uneven pieces, mixing single draws and bulk fills.
        var pieces = new uint[n];
        var p = new RngStream(11, 4, start);
        int at = 0, step = 1;
        while (at < n)
        {
            int len = Math.Min(step, n - at);
            if (len == 1) pieces[at] = p.NextUInt32();
            else p.Fill(pieces.AsSpan(at, len));
            at += len;
            step = step * 3 + 1;
        }
        Assert.Equal(expected, pieces);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(33)]
    [Trait("Category", "Kernel")]
    public void FillUniformMatchesNextFloat(int n)
    {
        var u = new float[n];
        new RngStream((ulong)n, 2, 1).FillUniform(u);
        var one = new RngStream((ulong)n, 2, 1);
        var expected = new float[n];
        for (int i = 0; i < n; i++) expected[i] = one.NextFloat();
        Close.Identical(expected, u, "uniform");
    }

    [Fact]
    public void UniformHasTheRightMomentsAndRange()
    {
        var rng = new RngStream(3, 1);
        var u = new float[200_000];
        rng.FillUniform(u);
        double mean = u.Average(x => (double)x), var = u.Average(x => (x - mean) * (x - mean));
        Assert.All(u, x => Assert.True(x is >= 0f and < 1f));
        // Standard errors: mean 1/sqrt(12 n) ~ 6.5e-4, variance ~ 1.9e-4; allow 5 sigma.
        Assert.InRange(mean, 0.5 - 3.3e-3, 0.5 + 3.3e-3);
        Assert.InRange(var, 1.0 / 12 - 1e-3, 1.0 / 12 + 1e-3);
        Assert.Equal(u[17], new RngStream(3, 1, 17).NextFloat());
    }

    [Fact]
    public void NormalHasTheRightMoments()
    {
        var rng = new RngStream(5, 2);
        var z = new float[200_001];
        rng.FillNormal(z, mean: 1, std: 2);
        Assert.Equal(200_002UL, rng.Position);
        double mean = z.Average(x => (double)x), var = z.Average(x => (x - mean) * (x - mean));
        double kurt = z.Average(x => Math.Pow((x - mean) / Math.Sqrt(var), 4));
        Assert.All(z, x => Assert.True(float.IsFinite(x)));
        Assert.InRange(mean, 1 - 0.025, 1 + 0.025);
        Assert.InRange(var, 4 * 0.98, 4 * 1.02);
        Assert.InRange(kurt, 2.9, 3.1);
        var single = new RngStream(5, 2);
        Assert.Equal(z[0], 1 + 2 * single.NextNormal());
    }

    [Fact]
    public void NextIntIsUniformAndInRange()
    {
        var rng = new RngStream(8, 0);
        var counts = new int[7];
        for (int i = 0; i < 70_000; i++) counts[rng.NextInt(7)]++;
        Assert.All(counts, c => Assert.InRange(c, 10_000 - 500, 10_000 + 500));
        Assert.Equal(0, rng.NextInt(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextInt(0));
    }

    [Fact]
    public void PermutationIsAPermutationAndUniform()
    {
        var rng = new RngStream(9, 9);
        Assert.Equal(Enumerable.Range(0, 1000), rng.Permutation(1000).Order());
        Assert.Empty(rng.Permutation(0));
        // Each of the 6 orders of 3 items about equally often.
        var seen = new Dictionary<string, int>();
        for (int i = 0; i < 6000; i++)
        {
            string key = string.Join(",", rng.Permutation(3));
            seen[key] = seen.GetValueOrDefault(key) + 1;
        }
        Assert.Equal(6, seen.Count);
        Assert.All(seen.Values, c => Assert.InRange(c, 1000 - 150, 1000 + 150));
        Assert.Equal(new RngStream(4, 4).Permutation(50), new RngStream(4, 4).Permutation(50));
    }
}
