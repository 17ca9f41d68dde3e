using FsCheck;
using FsCheck.Fluent;
using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

public class TopKTests
{
    /// <summary>Values with many exact ties in magnitude (small integers, both signs, zeros), or continuous ones.</summary>
    private static float[] Data(int n, int seed, bool ties)
    {
        var rng = new RngStream((ulong)seed, 5);
        var v = new float[n];
        if (ties)
            for (int i = 0; i < n; i++) v[i] = rng.NextInt(9) - 4;
        else
            rng.FillNormal(v);
        return v;
    }

    private static Gen<(int N, int K, int Seed, bool Ties)> Cases =>
        from n in Gen.Choose(0, 300)
        from k in Gen.Choose(0, n)
        from seed in Gen.Choose(0, 1_000_000)
        from ties in Gen.Elements(true, false)
        select (n, k, seed, ties);

    [Fact]
    public void SelectsTheKLargestMagnitudesLowerIndexWinningTies() =>
        Prop.ForAll(Arb.From(Cases), c =>
        {
            var v = Data(c.N, c.Seed, c.Ties);
            var values = new float[c.K];
            var indices = new int[c.K];
            TopK.Select(v, c.K, values, indices);
            for (int j = 0; j < c.K; j++)
            {
                Assert.Equal(v[indices[j]], values[j]);
                if (j > 0) Assert.True(indices[j] > indices[j - 1], "indices increase");
            }
            var kept = new bool[c.N];
            foreach (int i in indices) kept[i] = true;
            float minKept = c.K == 0 ? float.PositiveInfinity : values.Min(MathF.Abs);
            for (int i = 0; i < c.N; i++)
            {
                if (kept[i]) continue;
                Assert.True(MathF.Abs(v[i]) <= minKept, $"dropped |v[{i}]| = {MathF.Abs(v[i])} above kept {minKept}");
                // A dropped element tied with the threshold must come after every kept element of that magnitude.
                if (MathF.Abs(v[i]) == minKept)
                    for (int j = 0; j < c.K; j++)
                        Assert.False(MathF.Abs(values[j]) == minKept && indices[j] > i, $"tie at {i} lost to higher index {indices[j]}");
            }
            var rv = new float[c.K];
            var ri = new int[c.K];
            TopK.SelectReference(v, c.K, rv, ri);
            Assert.Equal(ri, indices);
            Assert.Equal(rv, values);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void ScatterOfSelectReconstructsTheKeptEntries() =>
        Prop.ForAll(Arb.From(Cases), c =>
        {
            var v = Data(c.N, c.Seed, c.Ties);
            var values = new float[c.K];
            var indices = new int[c.K];
            TopK.Select(v, c.K, values, indices);
            var dense = Enumerable.Repeat(9f, c.N).ToArray();
            TopK.Scatter(values, indices, dense);
            var kept = new HashSet<int>(indices);
            for (int i = 0; i < c.N; i++) Assert.Equal(kept.Contains(i) ? v[i] : 0f, dense[i]);
            TopK.ScatterAdd(values, indices, dense);
            for (int i = 0; i < c.N; i++) Assert.Equal(kept.Contains(i) ? 2 * v[i] : 0f, dense[i]);
        }).QuickCheckThrowOnFailure();

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(1000)]
    public void KZeroAndKEqualN(int n)
    {
        var v = Data(n, n, false);
        TopK.Select(v, 0, Span<float>.Empty, Span<int>.Empty);
        var values = new float[n];
        var indices = new int[n];
        TopK.Select(v, n, values, indices);
        Assert.Equal(v, values);
        Assert.Equal(Enumerable.Range(0, n), indices);
    }

    [Fact]
    public void AllEqualMagnitudesKeepTheFirstK()
    {
        var v = new float[100];
        for (int i = 0; i < v.Length; i++) v[i] = i % 2 == 0 ? 1.5f : -1.5f;
        v[40] = -0f;
        var values = new float[10];
        var indices = new int[10];
        TopK.Select(v, 10, values, indices);
        Assert.Equal(Enumerable.Range(0, 10), indices);
        var zeros = new float[50];
        zeros[7] = -0f;
        TopK.Select(zeros, 3, values.AsSpan(0, 3), indices.AsSpan(0, 3));
        Assert.Equal(new[] { 0, 1, 2 }, indices[..3]);
    }

    [Fact]
    public void ExtremeMagnitudesAndLargeInputs()
    {
        var v = Data(200_000, 3, false);
        v[5] = float.PositiveInfinity;
        v[6] = float.NegativeInfinity;
        v[7] = float.Epsilon;
        v[8] = float.MaxValue;
        int k = TopK.Count(v.Length, 0.01);
        Assert.Equal(2000, k);
        var values = new float[k];
        var indices = new int[k];
        var rv = new float[k];
        var ri = new int[k];
        TopK.Select(v, k, values, indices);
        TopK.SelectReference(v, k, rv, ri);
        Assert.Equal(ri, indices);
        Assert.Equal(new[] { 5, 6, 8 }, indices[..3]);
    }

    [Fact]
    public void CountFollowsTheSpec()
    {
        Assert.Equal(1, TopK.Count(10, 0.01));
        Assert.Equal(0, TopK.Count(0, 0.01));
        Assert.Equal(272, TopK.Count(27_200, 0.01));
        Assert.Equal(10, TopK.Count(10, 1));
    }

    [Fact]
    public void InvalidInputsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TopK.Select(new float[3], 4, new float[4], new int[4]));
        Assert.Throws<ArgumentException>(() => TopK.Select(new float[3], 2, new float[1], new int[2]));
        Assert.Throws<ArgumentException>(() => TopK.Scatter(new float[1], new[] { 3 }, new float[3]));
    }
}
