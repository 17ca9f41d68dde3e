using System.Runtime.Intrinsics.X86;
using FsCheck;
using FsCheck.Fluent;
using NanoFed.Kernels;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests;

/// <summary>Forward Winograd F(2×2, 3×3) for few channels (Conv2d.WinogradSmall.cs) against the direct reference.</summary>
[Collection(nameof(WorkerCountCollection))]
public class Conv2dWinogradSmallTests
{
    /// <summary>
    /// Random shapes (partial tiles from odd H and W, planes smaller than a tile, tile counts around the 6-tile block,
    /// channels around the lane widths), with bias, ReLU, or accumulating: within the tolerance of Conv2dTests.
    /// </summary>
    [Fact]
    [Trait("Category", "Kernel")]
    public void RandomShapesMatchReference()
    {
        var gen =
            from n in Gen.Choose(1, 3)
            from c in Gen.Choose(1, 40)
            from k in Gen.Choose(1, 40)
            from h in Gen.Choose(1, 13)
            from w in Gen.Choose(1, 13)
            from mode in Gen.Elements("plain", "bias", "bias+relu", "accumulate")
            select (n, c, k, h, w, mode);
        Prop.ForAll(Arb.From(gen), s =>
        {
            var g = Conv2dGeometry.Create(s.n, s.c, s.h, s.w, s.k, 3, 3, 1, 1);
            var rng = new Random(g.XLength * 31 + g.WLength);
            float[] x = Conv2dTests.Values(rng, g.XLength), wt = Conv2dTests.Values(rng, g.WLength);
            bool accumulate = s.mode == "accumulate", relu = s.mode == "bias+relu";
            float[] b = s.mode.StartsWith("bias", StringComparison.Ordinal) ? Conv2dTests.Values(rng, s.k) : [];
            float[] y0 = Conv2dTests.Values(rng, g.YLength), expected = new float[g.YLength], actual = (float[])y0.Clone();
            Conv2d.ForwardReference(x, wt, b, expected, g);
            for (int i = 0; i < expected.Length; i++)
                expected[i] = accumulate ? expected[i] + y0[i] : relu ? Math.Max(expected[i], 0) : expected[i];
            Conv2d.ForwardWinogradSmall(x, wt, b, actual, g, accumulate, relu);
            Close.Assert(expected, actual, $"winograd-small {g} {s.mode}", atol: 1e-4);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    /// <summary>Every lane width gives the same bits as the scalar path, on channel, filter and tile counts that leave remainders.</summary>
    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(1, 19, 7, 7, 21)]
    [InlineData(3, 17, 9, 11, 5)]
    [InlineData(2, 33, 8, 8, 40)]
    [InlineData(3, 16, 32, 32, 16)]
    public void EveryLaneWidthGivesIdenticalBits(int n, int c, int h, int w, int k)
    {
        var g = Conv2dGeometry.Create(n, c, h, w, k, 3, 3, 1, 1);
        var rng = new Random(g.XLength + g.WLength);
        float[] x = Conv2dTests.Values(rng, g.XLength), wt = Conv2dTests.Values(rng, g.WLength), b = Conv2dTests.Values(rng, k);
        float[] scalar = new float[g.YLength];
        Conv2d.ForwardWinogradSmall(x, wt, b, scalar, g, accumulate: false, relu: true, maxLanes: 1);
        foreach (int lanes in new[] { 4, 8, 16 })
        {
            float[] y = new float[g.YLength];
            Conv2d.ForwardWinogradSmall(x, wt, b, y, g, accumulate: false, relu: true, lanes);
            Close.Identical(scalar, y, $"winograd-small {g} lanes {lanes}");
        }
    }

    /// <summary>
    /// ResNet's 16@32 shape (at a smaller batch: several blocks of images) takes this kernel on an AVX2 machine without
    /// AVX-512, for forward and for backward-data (a forward of the flipped filters that accumulates), like the
    /// references, with the same bits on one and two threads.
    /// </summary>
    [Fact]
    [Trait("Category", "Kernel")]
    public void DispatchedShapeMatchesReferenceOnOneAndTwoThreads()
    {
        var g = Conv2dGeometry.Create(7, 16, 32, 32, 16, 3, 3, 1, 1);
        Assert.Equal(Avx2.IsSupported && Fma.IsSupported && !Avx512F.IsSupported, Conv2d.UseWinogradSmall(g));
        var rng = new Random(7);
        float[] x = Conv2dTests.Values(rng, g.XLength), wt = Conv2dTests.Values(rng, g.WLength), dY = Conv2dTests.Values(rng, g.YLength);
        float[] dX0 = Conv2dTests.Values(rng, g.XLength);
        float[] yExpected = new float[g.YLength], dXExpected = (float[])dX0.Clone();
        Conv2d.ForwardReference(x, wt, [], yExpected, g);
        Conv2d.BackwardDataReference(dY, wt, dXExpected, g);
        var one = Run(1);
        var two = Run(2);
        Close.Assert(yExpected, one[0], $"forward {g}", atol: 1e-4);
        Close.Assert(dXExpected, one[1], $"backward-data {g}", atol: 1e-4);
        Close.Identical(one[0], two[0], $"forward {g} one vs two threads");
        Close.Identical(one[1], two[1], $"backward-data {g} one vs two threads");

        float[][] Run(int threads)
        {
            int saved = Workers.Count;
            Workers.Count = threads;
            try
            {
                float[] y = new float[g.YLength], dX = (float[])dX0.Clone();
                Conv2d.Forward(x, wt, [], y, g);
                Conv2d.BackwardData(dY, wt, dX, g);
                return [y, dX];
            }
            finally
            {
                Workers.Count = saved;
            }
        }
    }
}
