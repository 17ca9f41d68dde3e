using FsCheck;
using FsCheck.Fluent;
using NanoFed.Kernels;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests;

/// <summary>Winograd F(2×2, 3×3) and F(4×4, 3×3) (Conv2d.Winograd.cs) against the direct reference convolution.</summary>
[Collection(nameof(WorkerCountCollection))]
public class Conv2dWinogradTests
{
    /// <summary>The double-precision Winograd reference equals the direct definition: the transform matrices are right.</summary>
    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(2, 1, 3, 5, 7, 2)]
    [InlineData(2, 1, 3, 5, 7, 4)]
    [InlineData(1, 4, 9, 8, 3, 4)]
    [InlineData(2, 2, 1, 1, 2, 2)]
    public void ReferenceMatchesDirectDefinition(int n, int c, int h, int w, int k, int tile)
    {
        var g = Conv2dGeometry.Create(n, c, h, w, k, 3, 3, 1, 1);
        var rng = new Random(g.XLength + tile);
        float[] x = Conv2dTests.Values(rng, g.XLength), wt = Conv2dTests.Values(rng, g.WLength), b = Conv2dTests.Values(rng, k);
        float[] expected = new float[g.YLength], actual = new float[g.YLength];
        Conv2d.ForwardReference(x, wt, b, expected, g);
        Conv2d.ForwardWinogradReference(x, wt, b, actual, g, tile);
        Close.Assert(expected, actual, $"winograd reference {g} tile {tile}", rtol: 1e-6, atol: 1e-6);
    }

    /// <summary>
    /// Random shapes (partial tiles from odd H and W, planes smaller than a tile, N = 1, channels around the lane
    /// widths), with and without bias, overwriting and accumulating: within the tolerance of Conv2dTests.
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
            from tile in Gen.Elements(2, 4)
            from bias in Gen.Elements(true, false)
            from accumulate in Gen.Elements(true, false)
            select (n, c, k, h, w, tile, bias, accumulate);
        Prop.ForAll(Arb.From(gen), s =>
        {
            var g = Conv2dGeometry.Create(s.n, s.c, s.h, s.w, s.k, 3, 3, 1, 1);
            var rng = new Random(g.XLength * 31 + g.WLength + s.tile);
            float[] x = Conv2dTests.Values(rng, g.XLength), wt = Conv2dTests.Values(rng, g.WLength);
            float[] b = s.bias && !s.accumulate ? Conv2dTests.Values(rng, s.k) : [];
            float[] y0 = Conv2dTests.Values(rng, g.YLength), expected = new float[g.YLength], actual = (float[])y0.Clone();
            Conv2d.ForwardReference(x, wt, b, expected, g);
            if (s.accumulate) for (int i = 0; i < expected.Length; i++) expected[i] += y0[i];
            Conv2d.ForwardWinograd(x, wt, b, actual, g, s.accumulate, s.tile);
            // F(4x4)'s transforms carry larger coefficients: its rounding error is about 10x F(2x2)'s (not dispatched for that reason).
            Close.Assert(expected, actual, $"winograd {g} tile {s.tile} bias {b.Length} accumulate {s.accumulate}", atol: s.tile == 4 ? 1e-3 : 1e-4);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    /// <summary>
    /// Every lane width gives the same bits as the scalar path (the transforms are FMA chains in one order), on tile
    /// counts that leave remainders for each narrower width.
    /// </summary>
    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(1, 19, 7, 7, 21, 4)]
    [InlineData(3, 17, 9, 11, 5, 2)]
    [InlineData(2, 33, 8, 8, 16, 4)]
    public void EveryLaneWidthGivesIdenticalBits(int n, int c, int h, int w, int k, int tile)
    {
        var g = Conv2dGeometry.Create(n, c, h, w, k, 3, 3, 1, 1);
        var rng = new Random(g.XLength + g.WLength);
        float[] x = Conv2dTests.Values(rng, g.XLength), wt = Conv2dTests.Values(rng, g.WLength), b = Conv2dTests.Values(rng, k);
        float[] scalar = new float[g.YLength];
        Conv2d.ForwardWinograd(x, wt, b, scalar, g, accumulate: false, tile, maxLanes: 1);
        foreach (int lanes in new[] { 4, 8, 16 })
        {
            float[] y = new float[g.YLength];
            Conv2d.ForwardWinograd(x, wt, b, y, g, accumulate: false, tile, lanes);
            Close.Identical(scalar, y, $"winograd {g} tile {tile} lanes {lanes}");
        }
    }

    /// <summary>Several chunks of tiles (256 tiles of 64+64 channels): 1 and 2 threads give identical bits.</summary>
    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(4)]
    [InlineData(2)]
    public void OneAndTwoThreadsGiveIdenticalBits(int tile)
    {
        var g = Conv2dGeometry.Create(4, 64, 16, 16, 64, 3, 3, 1, 1);
        var rng = new Random(tile);
        float[] x = Conv2dTests.Values(rng, g.XLength), wt = Conv2dTests.Values(rng, g.WLength), b = Conv2dTests.Values(rng, g.K);
        int saved = Workers.Count;
        try
        {
            Workers.Count = 1;
            float[] one = new float[g.YLength], two = new float[g.YLength];
            Conv2d.ForwardWinograd(x, wt, b, one, g, accumulate: false, tile);
            Workers.Count = 2;
            Conv2d.ForwardWinograd(x, wt, b, two, g, accumulate: false, tile);
            Close.Identical(one, two, $"winograd {g} tile {tile}");
        }
        finally
        {
            Workers.Count = saved;
        }
    }

    /// <summary>
    /// The public entry points dispatch wide 3×3 layers to Winograd F(2×2) (partial tiles on 5×7, one tile on
    /// 2×2): forward with bias, and backward-data (on 16×16 a forward of the flipped filters that accumulates into
    /// dX) against their references, within the tolerance of Conv2dTests.
    /// </summary>
    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(1, 160, 16, 16, 160)]
    [InlineData(2, 128, 5, 7, 136)]
    [InlineData(3, 144, 2, 2, 128)]
    public void ForwardAndBackwardDataMatchReference(int n, int c, int h, int w, int k)
    {
        var g = Conv2dGeometry.Create(n, c, h, w, k, 3, 3, 1, 1);
        var rng = new Random(g.XLength - g.WLength);
        float[] x = Conv2dTests.Values(rng, g.XLength), wt = Conv2dTests.Values(rng, g.WLength), b = Conv2dTests.Values(rng, k);
        float[] expected = new float[g.YLength], actual = new float[g.YLength];
        Conv2d.ForwardReference(x, wt, b, expected, g);
        Conv2d.Forward(x, wt, b, actual, g);
        Close.Assert(expected, actual, $"forward {g}", atol: 1e-4);

        float[] dY = Conv2dTests.Values(rng, g.YLength), dXExpected = Conv2dTests.Values(rng, g.XLength);
        float[] dX = (float[])dXExpected.Clone();
        Conv2d.BackwardDataReference(dY, wt, dXExpected, g);
        Conv2d.BackwardData(dY, wt, dX, g);
        Close.Assert(dXExpected, dX, $"backward-data {g}", atol: 1e-4);
    }
}
