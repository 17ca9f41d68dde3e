using System.Runtime.Intrinsics.X86;
using FsCheck;
using FsCheck.Fluent;
using NanoFed.Kernels;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests;

/// <summary>Backward-weight by Winograd F(2×2, 3×3) (Conv2d.WinogradWeight.cs) against the direct reference.</summary>
[Collection(nameof(WorkerCountCollection))]
public class Conv2dWinogradWeightTests
{
    /// <summary>The double-precision Winograd filter gradient equals the direct definition: the transposed transforms are right.</summary>
    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(2, 1, 3, 5, 7)]
    [InlineData(1, 4, 9, 8, 3)]
    [InlineData(2, 2, 1, 1, 2)]
    [InlineData(3, 3, 4, 4, 5)]
    public void ReferenceMatchesDirectDefinition(int n, int c, int h, int w, int k)
    {
        var g = Conv2dGeometry.Create(n, c, h, w, k, 3, 3, 1, 1);
        var rng = new Random(g.XLength + k);
        float[] x = Conv2dTests.Values(rng, g.XLength), dY = Conv2dTests.Values(rng, g.YLength);
        float[] expected = new float[g.WLength], actual = new float[g.WLength];
        Conv2d.BackwardWeightReference(x, dY, expected, [], g);
        Conv2d.BackwardWeightWinogradReference(x, dY, actual, g);
        Close.Assert(expected, actual, $"winograd backward-weight reference {g}", rtol: 1e-6, atol: 1e-6);
    }

    /// <summary>
    /// Random shapes (partial tiles from odd H and W, planes smaller than a tile, channels around the lane widths and
    /// the 4-channel register block), overwriting and accumulating: within the tolerance of the other backward-weight paths.
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
            from overwrite in Gen.Elements(true, false)
            select (n, c, k, h, w, overwrite);
        Prop.ForAll(Arb.From(gen), s =>
        {
            var g = Conv2dGeometry.Create(s.n, s.c, s.h, s.w, s.k, 3, 3, 1, 1);
            var rng = new Random(g.XLength * 31 + g.WLength);
            float[] x = Conv2dTests.Values(rng, g.XLength), dY = Conv2dTests.Values(rng, g.YLength);
            float[] dW0 = Conv2dTests.Values(rng, g.WLength), expected = s.overwrite ? new float[g.WLength] : (float[])dW0.Clone();
            float[] actual = (float[])dW0.Clone();
            Conv2d.BackwardWeightReference(x, dY, expected, [], g);
            Conv2d.BackwardWeightWinograd(x, dY, actual, g, s.overwrite);
            Close.Assert(expected, actual, $"winograd backward-weight {g} overwrite {s.overwrite}", atol: 1e-4);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    /// <summary>
    /// Every lane width gives the same bits as the scalar path, on channel and filter counts that leave remainders
    /// for each narrower width and for the 4-channel block, and on a batch of several blocks of images.
    /// </summary>
    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(1, 19, 7, 7, 21)]
    [InlineData(3, 17, 9, 11, 5)]
    [InlineData(2, 33, 8, 8, 40)]
    [InlineData(40, 64, 8, 8, 64)]
    public void EveryLaneWidthGivesIdenticalBits(int n, int c, int h, int w, int k)
    {
        var g = Conv2dGeometry.Create(n, c, h, w, k, 3, 3, 1, 1);
        var rng = new Random(g.XLength + g.WLength);
        float[] x = Conv2dTests.Values(rng, g.XLength), dY = Conv2dTests.Values(rng, g.YLength);
        float[] scalar = new float[g.WLength];
        Conv2d.BackwardWeightWinograd(x, dY, scalar, g, overwrite: true, maxLanes: 1);
        foreach (int lanes in new[] { 4, 8, 16 })
        {
            float[] dW = new float[g.WLength];
            Conv2d.BackwardWeightWinograd(x, dY, dW, g, overwrite: true, lanes);
            Close.Identical(scalar, dW, $"winograd backward-weight {g} lanes {lanes}");
        }
    }

    /// <summary>Planes whose one image would overflow the blocks' L2 budget many times over keep the older kernels, in both passes.</summary>
    [Fact]
    [Trait("Category", "Kernel")]
    public void LargePlanesStayOffTheBlockKernels()
    {
        var g = Conv2dGeometry.Create(2, 16, 130, 130, 16, 3, 3, 1, 1);
        Assert.False(Conv2d.UseWinogradWeight(g));
        Assert.False(Conv2d.UseWinogradSmall(g));
    }

    /// <summary>
    /// ResNet-20's stride-1 shapes (at a smaller batch, with a ragged chunk) take the Winograd path on an AVX2 machine
    /// without AVX-512, and through <see cref="Conv2d.BackwardWeight"/> accumulate dW and dB like the reference, with
    /// the same bits on one and two threads.
    /// </summary>
    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(19, 16, 32, 32, 16)]
    [InlineData(21, 32, 16, 16, 32)]
    [InlineData(37, 64, 8, 8, 64)]
    [InlineData(5, 16, 7, 9, 48)]
    public void DispatchedShapesMatchReferenceOnOneAndTwoThreads(int n, int c, int h, int w, int k)
    {
        var g = Conv2dGeometry.Create(n, c, h, w, k, 3, 3, 1, 1);
        Assert.Equal(Avx2.IsSupported && Fma.IsSupported && !Avx512F.IsSupported, Conv2d.UseWinogradWeight(g));
        var rng = new Random(g.XLength + g.YLength);
        float[] x = Conv2dTests.Values(rng, g.XLength), dY = Conv2dTests.Values(rng, g.YLength);
        float[] dW0 = Conv2dTests.Values(rng, g.WLength), dB0 = Conv2dTests.Values(rng, g.K);
        float[] dWExpected = (float[])dW0.Clone(), dBExpected = (float[])dB0.Clone();
        Conv2d.BackwardWeightReference(x, dY, dWExpected, dBExpected, g);
        var one = Run(1);
        var two = Run(2);
        Close.Assert(dWExpected, one[0], $"backward-weight dW {g}", atol: 1e-4);
        Close.Assert(dBExpected, one[1], $"backward-weight dB {g}", atol: 1e-4);
        Close.Identical(one[0], two[0], $"backward-weight dW {g} one vs two threads");
        Close.Identical(one[1], two[1], $"backward-weight dB {g} one vs two threads");

        float[][] Run(int threads)
        {
            int saved = Workers.Count;
            Workers.Count = threads;
            try
            {
                float[] dW = (float[])dW0.Clone(), dB = (float[])dB0.Clone();
                Conv2d.BackwardWeight(x, dY, dW, dB, g);
                return [dW, dB];
            }
            finally
            {
                Workers.Count = saved;
            }
        }
    }
}
