using FsCheck;
using FsCheck.Fluent;
using NanoFed.Kernels;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests;

[Collection(nameof(WorkerCountCollection))]
public partial class QuantizeTests
{
    public static readonly TheoryData<int> Sizes = new() { 0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 100, 129, 257, 1500, 70_001 };

    private static float[] Data(int n, int seed, float spread = 3)
    {
        var a = new float[n];
        new RngStream((ulong)seed, 77).FillNormal(a, 0, spread);
        return a;
    }

    private static Gen<(int N, int Bits, int Seed)> Cases =>
        from n in Gen.Choose(0, 200)
        from bits in Gen.Choose(1, 8)
        from seed in Gen.Choose(0, 1_000_000)
        select (n, bits, seed);

    [Theory]
    [MemberData(nameof(Sizes))]
    [Trait("Category", "Kernel")]
    public void NearestMatchesReference(int n)
    {
        var a = Data(n, n);
        for (int bits = 1; bits <= 8; bits++)
        {
            float s = Quantize.Scale(a, bits);
            var q = new sbyte[n];
            var r = new sbyte[n];
            Quantize.Nearest(a, s, bits, q);
            Quantize.NearestReference(a, s, bits, r);
            Assert.Equal(r, q);
            var back = new float[n];
            var backRef = new float[n];
            Quantize.Dequantize(q, s, back);
            Quantize.DequantizeReference(q, s, backRef);
            Close.Identical(backRef, back, $"dequantize n={n} b={bits}");
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    [Trait("Category", "Kernel")]
    public void StochasticMatchesReference(int n)
    {
        var a = Data(n + 1500, n);
        for (int bits = 1; bits <= 8; bits++)
        {
            float s = Quantize.Scale(a, bits);
            var q = new sbyte[a.Length];
            var r = new sbyte[a.Length];
            var rng = new RngStream(5, (ulong)bits, 3);
            var rngRef = new RngStream(5, (ulong)bits, 3);
            Quantize.Stochastic(a, s, bits, rng, q);
            Quantize.StochasticReference(a, s, bits, rngRef, r);
            Assert.Equal(r, q);
            Assert.Equal(rngRef.Position, rng.Position);
        }
    }

    [Fact]
    public void ThreadCountDoesNotChangeResults()
    {
        var a = Data(100_003, 1);
        int saved = Workers.Count;
        try
        {
            var results = new List<(sbyte[] Nearest, sbyte[] Stochastic, float[] Back, ulong Position)>();
            foreach (int threads in new[] { 1, 2 })
            {
                Workers.Count = threads;
                var qn = new sbyte[a.Length];
                var qs = new sbyte[a.Length];
                var back = new float[a.Length];
                var rng = new RngStream(3, 3, 5);
                float s = Quantize.Scale(a, 6);
                Quantize.Nearest(a, s, 6, qn);
                Quantize.Stochastic(a, s, 6, rng, qs);
                Quantize.Dequantize(qs, s, back);
                results.Add((qn, qs, back, rng.Position));
            }
            Assert.Equal(results[0].Nearest, results[1].Nearest);
            Assert.Equal(results[0].Stochastic, results[1].Stochastic);
            Close.Identical(results[0].Back, results[1].Back, "dequantize");
            Assert.Equal(5UL + (ulong)a.Length, results[1].Position);
        }
        finally
        {
            Workers.Count = saved;
        }
    }

    [Fact]
    public void NearestErrorIsAtMostHalfAStep() =>
        Prop.ForAll(Arb.From(Cases), c =>
        {
            var a = Data(c.N, c.Seed);
            float s = Quantize.Scale(a, c.Bits);
            var q = new sbyte[c.N];
            var back = new float[c.N];
            Quantize.Nearest(a, s, c.Bits, q);
            Quantize.Dequantize(q, s, back);
            // The step between levels is s (2s for the two levels of b = 1); float rounding adds a few ulps.
            float half = c.Bits == 1 ? s : s / 2;
            for (int i = 0; i < c.N; i++)
                Assert.True(Math.Abs(a[i] - back[i]) <= half * (1 + 1e-5f) + 1e-6f * Math.Abs(a[i]), $"b={c.Bits} a={a[i]} back={back[i]} s={s}");
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void StochasticErrorIsBelowOneStep() =>
        Prop.ForAll(Arb.From(Cases), c =>
        {
            var a = Data(c.N, c.Seed);
            float s = Quantize.Scale(a, c.Bits);
            var q = new sbyte[c.N];
            var back = new float[c.N];
            Quantize.Stochastic(a, s, c.Bits, new RngStream((ulong)c.Seed, 1), q);
            Quantize.Dequantize(q, s, back);
            float step = c.Bits == 1 ? 2 * s : s;
            for (int i = 0; i < c.N; i++)
                Assert.True(Math.Abs(a[i] - back[i]) < step * (1 + 1e-5f) + 1e-6f * Math.Abs(a[i]), $"b={c.Bits} a={a[i]} back={back[i]} s={s}");
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void ZeroAndTheExtremesAreExact() =>
        Prop.ForAll(Arb.From(Cases), c =>
        {
            var a = Data(c.N + 3, c.Seed);
            float m = a.Max(MathF.Abs);
            a[0] = 0;
            a[1] = m;
            a[2] = -m;
            float s = Quantize.Scale(a, c.Bits);
            int qmax = Quantize.MaxCode(c.Bits);
            var q = new sbyte[a.Length];
            var back = new float[a.Length];
            Quantize.Nearest(a, s, c.Bits, q);
            Quantize.Dequantize(q, s, back);
            if (c.Bits > 1) Assert.Equal(0, q[0]);
            Assert.Equal(qmax, q[1]);
            Assert.Equal(-qmax, q[2]);
            Assert.Equal(s * qmax, back[1]);
            Assert.True(Math.Abs(back[1] - m) <= 2e-7f * m, $"{back[1]} vs {m}");
            if (c.Bits > 1)
            {
                Quantize.Stochastic(a, s, c.Bits, new RngStream(1, (ulong)c.Seed), q);
                Assert.Equal(0, q[0]);
            }
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void AllZeroTensorHasScaleZeroAndNoNaN()
    {
        for (int bits = 1; bits <= 8; bits++)
        {
            var a = new float[37];
            float s = Quantize.Scale(a, bits);
            Assert.Equal(0f, s);
            var q = new sbyte[37];
            var back = Enumerable.Repeat(float.NaN, 37).ToArray();
            Quantize.Nearest(a, s, bits, q);
            Quantize.Dequantize(q, s, back);
            Assert.All(back, x => Assert.Equal(0f, x));
            Quantize.Stochastic(a, s, bits, new RngStream(1, 1), q);
            Quantize.Dequantize(q, s, back);
            Assert.All(back, x => Assert.Equal(0f, x));
            Assert.Equal(0f, Quantize.Scale(ReadOnlySpan<float>.Empty, bits));
        }
    }

    [Fact]
    public void StochasticRoundingIsUnbiased()
    {
        foreach (int bits in new[] { 1, 2, 4 })
        {
            var a = new float[100_000];
            Array.Fill(a, 0.3f);
            float s = 1f / Quantize.MaxCode(bits);
            var q = new sbyte[a.Length];
            Quantize.Stochastic(a, s, bits, new RngStream(2, 2), q);
            double mean = q.Average(v => (double)v) * s;
            Assert.InRange(mean, 0.3 - 0.01, 0.3 + 0.01);
        }
    }

    [Fact]
    public void TiesRoundToEven()
    {
        var a = new[] { 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f };
        var q = new sbyte[6];
        Quantize.Nearest(a, 1, 8, q);
        Assert.Equal(new sbyte[] { 0, 2, 2, 0, -2, -2 }, q);
    }

    [Fact]
    public void PerChannelUsesOneScalePerChannelOfTheGivenAxis()
    {
        var shape = new Shape(2, 3, 4, 5);
        var a = Data(shape.Length, 9);
        for (int axis = 0; axis < 4; axis++)
        {
            var (outer, channels, inner) = Quantize.Layout(shape, axis);
            Assert.Equal(shape.Length, outer * channels * inner);
            var scales = new float[channels];
            Quantize.ChannelScales(a, outer, channels, inner, 4, scales);
            var q = new sbyte[a.Length];
            var back = new float[a.Length];
            Quantize.NearestPerChannel(a, outer, channels, inner, scales, 4, q);
            Quantize.DequantizePerChannel(q, outer, channels, inner, scales, back);
            for (int i = 0; i < a.Length; i++)
            {
                int c = i / inner % channels;
                float m = 0;
                for (int o = 0; o < outer; o++)
                    for (int j = 0; j < inner; j++) m = MathF.Max(m, MathF.Abs(a[(o * channels + c) * inner + j]));
                Assert.Equal(m / 7, scales[c]);
                Assert.True(Math.Abs(a[i] - back[i]) <= scales[c] / 2 * (1 + 1e-5f) + 1e-6f, $"axis {axis} element {i}");
            }
            var qs = new sbyte[a.Length];
            Quantize.StochasticPerChannel(a, outer, channels, inner, scales, 4, new RngStream(1, 1), qs);
            var qr = new sbyte[a.Length];
            var rng = new RngStream(1, 1);
            for (int o = 0; o < outer; o++)
                for (int c = 0; c < channels; c++)
                {
                    int at = (o * channels + c) * inner;
                    Quantize.StochasticReference(a.AsSpan(at, inner), scales[c], 4, rng, qr.AsSpan(at, inner));
                }
            Assert.Equal(qr, qs);
        }
    }

    [Fact]
    public void InvalidInputsAreRejected()
    {
        var q = new sbyte[2];
        Assert.Throws<ArgumentOutOfRangeException>(() => Quantize.Scale(new float[2], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Quantize.Scale(new float[2], 9));
        Assert.Throws<ArgumentException>(() => Quantize.Scale(new[] { 1f, float.NaN }, 8));
        Assert.Throws<ArgumentException>(() => Quantize.Scale(new[] { 1f, float.PositiveInfinity }, 8));
        Assert.Throws<ArgumentException>(() => Quantize.Nearest(new float[3], 1, 8, q));
    }
}
