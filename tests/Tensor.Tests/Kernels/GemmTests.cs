using FsCheck;
using FsCheck.Fluent;
using NanoFed.Kernels;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests;

/// <summary>Gemm.Sgemm against the naive SgemmReference: layouts, transposes, alpha/beta, edges, threads, validation.</summary>
[Collection(nameof(WorkerCountCollection))]
public class GemmTests
{
    public static readonly TheoryData<int, int, int> Shapes = new()
    {
        { 1, 1, 1 }, { 1, 17, 3 }, { 3, 7, 5 }, { 4, 4, 4 }, { 6, 8, 9 }, { 7, 15, 16 }, { 12, 32, 33 },
        { 13, 33, 17 }, { 25, 65, 100 }, { 5, 100, 257 }, { 37, 9, 513 }, { 49, 130, 64 },
    };

    [Theory]
    [Trait("Category", "Kernel")]
    [MemberData(nameof(Shapes))]
    public void EveryTransposeMatchesReference(int m, int n, int k)
    {
        foreach (var ta in new[] { Transpose.No, Transpose.Yes })
            foreach (var tb in new[] { Transpose.No, Transpose.Yes })
                Check(ta, tb, m, n, k, alpha: 1f, beta: 0f, pad: 0, seed: m * 1000 + n * 10 + k);
    }

    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(1f, 1f)]
    [InlineData(-0.5f, 0.25f)]
    [InlineData(2f, -1f)]
    [InlineData(0f, 3f)]
    public void AlphaAndBetaScaleAndAccumulate(float alpha, float beta)
    {
        foreach (var ta in new[] { Transpose.No, Transpose.Yes })
            foreach (var tb in new[] { Transpose.No, Transpose.Yes })
                Check(ta, tb, 19, 41, 300, alpha, beta, pad: 0, seed: 7);
    }

    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(9, 17, 20, 3)]
    [InlineData(33, 70, 280, 13)]
    public void LeadingDimensionsWiderThanTheMatrixAreRespected(int m, int n, int k, int pad)
    {
        foreach (var ta in new[] { Transpose.No, Transpose.Yes })
            foreach (var tb in new[] { Transpose.No, Transpose.Yes })
                Check(ta, tb, m, n, k, alpha: 1.5f, beta: 0.5f, pad, seed: pad);
    }

    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(3900, 37, 260)]
    [InlineData(3, 4133, 300)]
    [InlineData(500, 300, 300)]
    public void ShapesBeyondOnePassOfRowsOrColumnsMatchReference(int m, int n, int k)
    {
        // Many MC row blocks in the shared grid (M = 3900, A's partial micro-panel far from the first rows),
        // N beyond NC columns (several jc blocks), K beyond KC; and on 2 threads, column slices of more than one MC
        // block of rows (one pass per block).
        Check(Transpose.No, Transpose.No, m, n, k, alpha: 1f, beta: 0.5f, pad: 0, seed: m + n);
        Check(Transpose.Yes, Transpose.Yes, m, n, k, alpha: 1f, beta: 0f, pad: 1, seed: m - n);
    }

    [Fact]
    [Trait("Category", "Kernel")]
    public void BetaZeroNeverReadsC()
    {
        // C starts as NaN; with beta 0 every element must still come out finite and right.
        Check(Transpose.No, Transpose.No, 29, 47, 70, alpha: 1f, beta: 0f, pad: 2, seed: 3, fillC: float.NaN);
        Check(Transpose.Yes, Transpose.Yes, 29, 47, 270, alpha: 1f, beta: 0f, pad: 0, seed: 4, fillC: float.NaN);
    }

    [Fact]
    [Trait("Category", "Kernel")]
    public void EmptyDepthScalesCByBeta()
    {
        float[] c = [1, 2, 3, 4, 5, 6];
        Gemm.Sgemm(Transpose.No, Transpose.No, 2, 3, 0, 1f, [], 1, [], 3, 2f, c, 3);
        Assert.Equal([2f, 4, 6, 8, 10, 12], c);
        float[] nan = [float.NaN, float.NaN];
        Gemm.Sgemm(Transpose.No, Transpose.No, 1, 2, 0, 1f, [], 1, [], 2, 0f, nan, 2);
        Assert.Equal([0f, 0], nan);
    }

    [Fact]
    public void EmptyOutputLeavesCUntouched()
    {
        float[] c = [7, 7];
        Gemm.Sgemm(Transpose.No, Transpose.No, 0, 2, 5, 1f, [], 5, new float[10], 2, 0f, c, 2);
        Gemm.Sgemm(Transpose.No, Transpose.No, 2, 0, 5, 1f, new float[10], 5, [], 1, 0f, c, 1);
        Assert.Equal([7f, 7], c);
    }

    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(150, 270, 530, Transpose.No, Transpose.Yes)]
    [InlineData(20, 700, 300, Transpose.No, Transpose.No)]
    [InlineData(250, 300, 270, Transpose.No, Transpose.No)]
    [InlineData(70, 1000, 290, Transpose.No, Transpose.Yes)]
    [InlineData(150, 270, 530, Transpose.Yes, Transpose.No)]
    [InlineData(100, 200, 300, Transpose.No, Transpose.No)]
    [InlineData(100, 200, 300, Transpose.Yes, Transpose.Yes)]
    public void ThreadCountDoesNotChangeABit(int m, int n, int k, Transpose transA, Transpose transB)
    {
        var rng = new Random(m);
        float[] a = Random(rng, m * k), b = Random(rng, k * n);
        float[] one = new float[m * n], two = new float[m * n];
        int saved = Workers.Count;
        try
        {
            int lda = transA == Transpose.No ? k : m, ldb = transB == Transpose.No ? n : k;
            Workers.Count = 1;
            Gemm.Sgemm(transA, transB, m, n, k, 1f, a, lda, b, ldb, 0f, one, n);
            Workers.Count = 2;
            Gemm.Sgemm(transA, transB, m, n, k, 1f, a, lda, b, ldb, 0f, two, n);
        }
        finally
        {
            Workers.Count = saved;
        }
        Close.Identical(one, two, "Sgemm with 1 and 2 threads");
    }

    /// <summary>
    /// Every path sums each element in the same KC-blocked chain of fused multiply-adds and updates C with the same
    /// roundings, so the bits do not depend on the ISA: the IsaTests children (AVX2, Vector128, scalar) must
    /// reproduce this hash, taken with AVX-512. A change of KC or of the update formula changes it on purpose.
    /// </summary>
    [Fact]
    [Trait("Category", "Kernel")]
    public void ResultIsBitIdenticalOnEveryIsa()
    {
        int m = 37, n = 45, k = 600;
        var rng = new Random(k);
        float[] a = Random(rng, m * k), b = Random(rng, n * k), c = Random(rng, m * n);
        Gemm.Sgemm(Transpose.No, Transpose.Yes, m, n, k, 1.5f, a, k, b, k, 0.5f, c, n);
        ulong hash = 14695981039346656037;
        foreach (float x in c) hash = (hash ^ (uint)BitConverter.SingleToInt32Bits(x)) * 1099511628211;
        Assert.Equal(GoldenHash, hash);
    }

    private const ulong GoldenHash = 13609837108977728180;

    [Fact]
    public void InvalidArgumentsAreRejectedWithTheirValues()
    {
        float[] x = new float[64];
        Assert.Contains("M=-1", Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(Transpose.No, Transpose.No, -1, 2, 2, 1f, x, 2, x, 2, 0f, x, 2)).Message);
        Assert.Contains("leading dimension of A (3)", Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(Transpose.No, Transpose.No, 2, 2, 4, 1f, x, 3, x, 2, 0f, x, 2)).Message);
        Assert.Contains("leading dimension of B (3)", Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(Transpose.No, Transpose.Yes, 2, 2, 4, 1f, x, 4, x, 3, 0f, x, 2)).Message);
        Assert.Contains("C needs 30 elements", Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(Transpose.No, Transpose.No, 6, 5, 1, 1f, x, 1, x, 5, 0f, new float[29], 5)).Message);
        Assert.Contains("A needs 21 elements", Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(Transpose.Yes, Transpose.No, 3, 2, 7, 1f, new float[20], 3, x, 2, 0f, x, 2)).Message);
    }

    [Fact]
    [Trait("Category", "Kernel")]
    public void RandomShapesMatchReference()
    {
        var gen =
            from m in Gen.Choose(1, 40)
            from n in Gen.Choose(1, 80)
            from k in Gen.Choose(1, 300)
            from ta in Gen.Elements(Transpose.No, Transpose.Yes)
            from tb in Gen.Elements(Transpose.No, Transpose.Yes)
            select (m, n, k, ta, tb);
        Prop.ForAll(Arb.From(gen), s =>
        {
            Check(s.ta, s.tb, s.m, s.n, s.k, alpha: 1f, beta: 0.5f, pad: 1, seed: s.m * 7919 + s.n * 31 + s.k);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(40));
    }

    /// <summary>
    /// Runs Sgemm and SgemmReference on the same random operands and compares within a bound that grows with K:
    /// |fast − ref| ≤ 1e-5 + 4·K·ε·(|alpha|·Σₚ|a||b| + |beta·c|), the usual forward error of a float dot product.
    /// </summary>
    private static void Check(Transpose ta, Transpose tb, int m, int n, int k, float alpha, float beta, int pad, int seed, float? fillC = null)
    {
        var rng = new Random(seed);
        int lda = (ta == Transpose.No ? k : m) + pad, ldb = (tb == Transpose.No ? n : k) + pad, ldc = n + pad;
        float[] a = Random(rng, (ta == Transpose.No ? m : k) * lda), b = Random(rng, (tb == Transpose.No ? k : n) * ldb);
        float[] c0 = fillC is { } f ? Enumerable.Repeat(f, m * ldc).ToArray() : Random(rng, m * ldc);
        float[] fast = (float[])c0.Clone(), slow = fillC is null ? (float[])c0.Clone() : new float[m * ldc];
        Gemm.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, fast, ldc);
        Gemm.SgemmReference(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, slow, ldc);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < ldc; j++)
            {
                int at = i * ldc + j;
                if (j >= n)
                {
                    // Padding columns of C are never written.
                    Assert.True(BitConverter.SingleToInt32Bits(c0[at]) == BitConverter.SingleToInt32Bits(fast[at]), $"{ta}{tb} M={m} N={n} K={k}: padding C[{i},{j}] was written");
                    continue;
                }
                double abs = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = ta == Transpose.No ? a[i * lda + p] : a[p * lda + i];
                    float bv = tb == Transpose.No ? b[p * ldb + j] : b[j * ldb + p];
                    abs += Math.Abs((double)av * bv);
                }
                double cAbs = beta == 0 ? 0 : Math.Abs((double)beta * c0[at]);
                double bound = 1e-5 + 4 * k * 1.2e-7 * (Math.Abs(alpha) * abs + cAbs);
                double diff = Math.Abs((double)fast[at] - slow[at]);
                Assert.True(diff <= bound, $"{ta}{tb} M={m} N={n} K={k} alpha={alpha} beta={beta} ld+{pad}: C[{i},{j}] = {fast[at]:G9}, reference {slow[at]:G9} (|diff| {diff:G3} > {bound:G3})");
            }
        }
    }

    private static float[] Random(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}
