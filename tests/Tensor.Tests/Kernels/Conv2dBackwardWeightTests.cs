using System.Runtime.Intrinsics;
using NanoFed.Kernels;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests;

/// <summary>The pixel-major and direct backward-weight paths against the scalar reference, and the stride-2 im2col and col2im.</summary>
[Collection(nameof(WorkerCountCollection))]
public class Conv2dBackwardWeightTests
{
    /// <summary>(N, C, H, W, K, R, S, strideH, strideW, padH, padW), all on the pixel-major path: K from 32 to 256 (not
    /// always a multiple of the 12-row micro-kernel; above 192 the patches are packed); a 1×1 stride-2 filter; C not a multiple of 4 (the transpose's scalar edge); W not a
    /// multiple of 4; stride 1 and 2, padding 0 to 2, a 3×2 filter; single-image groups (P·Q ≥ 256) and many-image
    /// groups with a ragged last group, one chunk and several; both GEMM orientations (dWᵀ where K is a multiple of 32
    /// and R·S·C is not); "same" 5×5 and 7×7 filters wider than 2×1 and 2×2 maps.</summary>
    public static TheoryData<int, int, int, int, int, int, int, int, int, int, int> Geometries => new()
    {
        { 3, 8, 8, 8, 32, 3, 3, 1, 1, 2, 2 },
        { 70, 9, 4, 4, 33, 3, 3, 1, 1, 1, 1 },
        { 2, 16, 32, 32, 40, 3, 3, 2, 2, 1, 1 },
        { 5, 13, 16, 16, 64, 3, 3, 2, 2, 1, 1 },
        { 3, 12, 7, 9, 40, 3, 2, 1, 2, 2, 0 },
        { 4, 8, 5, 6, 192, 3, 3, 1, 1, 0, 0 },
        { 2, 17, 18, 18, 100, 5, 5, 1, 1, 2, 2 },
        { 9, 64, 8, 8, 96, 3, 3, 1, 1, 1, 1 },
        { 2, 8, 4, 4, 256, 3, 3, 1, 1, 1, 1 },
        { 2, 16, 8, 8, 32, 1, 1, 2, 2, 0, 0 },
        { 3, 8, 2, 1, 32, 5, 5, 1, 1, 2, 2 },
        { 2, 8, 2, 2, 40, 7, 7, 1, 1, 3, 3 },
    };

    [Theory]
    [Trait("Category", "Kernel")]
    [MemberData(nameof(Geometries))]
    public void PixelMajorAccumulatesLikeReference(int n, int c, int h, int w, int k, int r, int s, int sh, int sw, int ph, int pw)
    {
        var g = new Conv2dGeometry(n, c, h, w, k, r, s, sh, sw, ph, pw);
        Assert.True(Conv2d.UsePixelMajorWeight(g) && !Conv2d.UseWinogradWeight(g), $"{g} should run pixel-major");
        AssertLikeReference(g);
    }

    /// <summary>3×3 pad-1 shapes up to 32 filters, on the direct kernel where Vector512 runs (stride 1: or Vector256), with fewer
    /// than 16 input channels or filters where AVX2 runs Winograd: K a multiple of its 8 channels, and not (a zero-padded last block); several images per kernel call (small planes), with a chunk
    /// longer than a call (70 images of 15×15: 4 + 1 per chunk of 5), many images on a 4×4 plane, 3 input
    /// channels (the networks' first layers), and stride 2 (on the input's phases) on even and odd planes.</summary>
    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(2, 8, 8, 8, 12, 1)]
    [InlineData(70, 8, 15, 15, 8, 1)]
    [InlineData(31, 9, 4, 4, 24, 1)]
    [InlineData(2, 12, 8, 8, 32, 1)]
    [InlineData(3, 16, 16, 16, 12, 1)]
    [InlineData(1, 64, 8, 8, 12, 1)]
    [InlineData(3, 3, 32, 32, 16, 1)]
    [InlineData(2, 3, 9, 7, 64, 1)]
    [InlineData(3, 16, 32, 32, 32, 2)]
    [InlineData(5, 9, 9, 7, 12, 2)]
    public void DirectAccumulatesLikeReference(int n, int c, int h, int w, int k, int stride)
    {
        var g = Conv2dGeometry.Create(n, c, h, w, k, 3, 3, stride, 1);
        // Without Vector512 or Vector256 (stride 2: without Vector512) there is no direct kernel, and 32 filters run pixel-major.
        bool direct = stride == 1 ? Vector256.IsHardwareAccelerated : Vector512.IsHardwareAccelerated;
        Assert.False((Conv2d.UsePixelMajorWeight(g) || Conv2d.UseWeightLanes(g) || Conv2d.UseWinogradWeight(g)) && direct, $"{g} should run the direct kernel");
        AssertLikeReference(g);
    }

    /// <summary>Shapes on the lanes kernel where AVX-512 runs: whole groups of 16 images and a partial last one, K
    /// a multiple of its 8 filters and not, 3 input channels, planes of one vector to 16×16.</summary>
    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(32, 32, 16, 16, 32)]
    [InlineData(35, 20, 8, 8, 12)]
    [InlineData(48, 64, 8, 8, 64)]
    [InlineData(33, 3, 4, 4, 16)]
    public void LanesAccumulatesLikeReference(int n, int c, int h, int w, int k)
    {
        var g = Conv2dGeometry.Create(n, c, h, w, k, 3, 3, 1, 1);
        Assert.Equal(Vector512.IsHardwareAccelerated, Conv2d.UseWeightLanes(g));
        AssertLikeReference(g);
    }

    [Fact]
    [Trait("Category", "Kernel")]
    public void LanesGivesIdenticalBitsOnOneAndTwoThreads()
    {
        var g = Conv2dGeometry.Create(67, 24, 8, 8, 40, 3, 3, 1, 1);
        var rng = new Random(5);
        float[] x = Conv2dTests.Values(rng, g.XLength), dY = Conv2dTests.Values(rng, g.YLength);
        float[] one = new float[g.WLength + g.K], two = new float[g.WLength + g.K];
        int saved = Workers.Count;
        try
        {
            Workers.Count = 1;
            Conv2d.BackwardWeight(x, dY, one.AsSpan(0, g.WLength), one.AsSpan(g.WLength), g);
            Workers.Count = 2;
            Conv2d.BackwardWeight(x, dY, two.AsSpan(0, g.WLength), two.AsSpan(g.WLength), g);
        }
        finally
        {
            Workers.Count = saved;
        }
        Close.Identical(one, two, $"lanes backward-weight {g} one vs two threads");
    }

    private static void AssertLikeReference(in Conv2dGeometry g)
    {
        var rng = new Random(g.XLength + g.YLength);
        float[] x = Conv2dTests.Values(rng, g.XLength), dY = Conv2dTests.Values(rng, g.YLength);
        float[] dW = Conv2dTests.Values(rng, g.WLength), dB = Conv2dTests.Values(rng, g.K);
        float[] dWExpected = (float[])dW.Clone(), dBExpected = (float[])dB.Clone();
        Conv2d.BackwardWeightReference(x, dY, dWExpected, dBExpected, g);
        Conv2d.BackwardWeight(x, dY, dW, dB, g);
        Close.Assert(dWExpected, dW, $"backward-weight dW {g}", atol: 1e-4);
        Close.Assert(dBExpected, dB, $"backward-weight dB {g}", atol: 1e-4);
    }

    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(70, 9, 4, 4, 33, 1, 1)]
    [InlineData(6, 16, 16, 16, 40, 2, 1)]
    [InlineData(3, 8, 8, 8, 40, 1, 0)]
    public void PixelMajorGivesIdenticalBitsOnOneAndTwoThreads(int n, int c, int h, int w, int k, int stride, int pad)
    {
        var g = Conv2dGeometry.Create(n, c, h, w, k, 3, 3, stride, pad);
        Assert.True(Conv2d.UsePixelMajorWeight(g), $"{g} should run pixel-major");
        var rng = new Random(n * 1000 + k);
        float[] x = Conv2dTests.Values(rng, g.XLength), dY = Conv2dTests.Values(rng, g.YLength);
        var one = Run(1);
        var two = Run(2);
        for (int i = 0; i < one.Length; i++) Close.Identical(one[i], two[i], $"pixel-major gradient {i} of {g}");

        float[][] Run(int threads)
        {
            int saved = Workers.Count;
            Workers.Count = threads;
            try
            {
                float[] dW = new float[g.WLength], dB = new float[k];
                Conv2d.BackwardWeight(x, dY, dW, dB, g);
                return [dW, dB];
            }
            finally
            {
                Workers.Count = saved;
            }
        }
    }

    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(1, 1, 1, 0)]
    [InlineData(3, 5, 7, 1)]
    [InlineData(4, 4, 8, 0)]
    [InlineData(13, 6, 9, 2)]
    [InlineData(8, 3, 4, 1)]
    [InlineData(16, 3, 16, 1)]
    [InlineData(24, 2, 17, 0)]
    public unsafe void PadTransposeImageMovesEachPixelIntoItsBorderedSlot(int c, int h, int w, int pad)
    {
        var g = Conv2dGeometry.Create(1, c, h, w, 1, 1, 1, 1, pad);
        int hp = h + 2 * pad, wp = w + 2 * pad;
        float[] x = Conv2dTests.Values(new Random(c * h * w), c * h * w);
        float[] xt = Enumerable.Repeat(float.NaN, hp * wp * c).ToArray();
        fixed (float* px = x, pxt = xt) Conv2d.PadTransposeImage(px, pxt, g);
        for (int hh = 0; hh < hp; hh++)
            for (int ww = 0; ww < wp; ww++)
                for (int cc = 0; cc < c; cc++)
                {
                    int ih = hh - pad, iw = ww - pad;
                    float expected = (uint)ih < (uint)h && (uint)iw < (uint)w ? x[(cc * h + ih) * w + iw] : 0;
                    Assert.Equal(expected, xt[(hh * wp + ww) * c + cc]);
                }
    }

    public static TheoryData<int, int, int, int, int, int> Stride2Shapes => new()
    {
        { 3, 6, 5, 3, 1, 1 },
        { 2, 7, 8, 3, 2, 1 },
        { 1, 9, 10, 1, 1, 0 },
        { 2, 4, 17, 3, 2, 1 },
        { 3, 5, 32, 3, 2, 1 },
        { 1, 3, 34, 3, 1, 0 },
        { 2, 3, 66, 2, 1, 2 },
    };

    [Theory]
    [Trait("Category", "Kernel")]
    [MemberData(nameof(Stride2Shapes))]
    public unsafe void Im2colStride2PicksEveryOtherColumn(int c, int h, int w, int r, int strideH, int pad)
    {
        var g = new Conv2dGeometry(1, c, h, w, 1, r, 3, strideH, 2, pad, pad);
        int P = g.P, Q = g.Q;
        float[] x = Conv2dTests.Values(new Random(c * h * w), g.XLength);
        float[] col = Enumerable.Repeat(float.NaN, g.Crs * P * Q + 1).ToArray();
        fixed (float* px = x, pc = col) Conv2d.Im2col(px, pc, P * Q, g);
        for (int row = 0; row < g.Crs; row++)
        {
            int cc = row / (r * 3), rr = row / 3 % r, ss = row % 3;
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++)
                {
                    int ih = p * strideH - pad + rr, iw = q * 2 - pad + ss;
                    float expected = (uint)ih < (uint)h && (uint)iw < (uint)w ? x[(cc * h + ih) * w + iw] : 0;
                    Assert.Equal(expected, col[(row * P + p) * Q + q]);
                }
        }
        Assert.True(float.IsNaN(col[^1]), "im2col wrote past its rows");
    }

    [Theory]
    [Trait("Category", "Kernel")]
    [MemberData(nameof(Stride2Shapes))]
    public unsafe void Col2imStride2AddsEachEntryToItsColumn(int c, int h, int w, int r, int strideH, int pad)
    {
        var g = new Conv2dGeometry(1, c, h, w, 1, r, 3, strideH, 2, pad, pad);
        int P = g.P, Q = g.Q;
        var rng = new Random(c * h * w + 1);
        float[] col = Conv2dTests.Values(rng, g.Crs * P * Q), dX = Conv2dTests.Values(rng, g.XLength);
        double[] expected = dX.Select(v => (double)v).ToArray();
        for (int row = 0; row < g.Crs; row++)
        {
            int cc = row / (r * 3), rr = row / 3 % r, ss = row % 3;
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++)
                {
                    int ih = p * strideH - pad + rr, iw = q * 2 - pad + ss;
                    if ((uint)ih < (uint)h && (uint)iw < (uint)w) expected[(cc * h + ih) * w + iw] += col[(row * P + p) * Q + q];
                }
        }
        fixed (float* pc = col, px = dX) Conv2d.Col2im(pc, P * Q, px, g);
        Close.Assert(expected.Select(v => (float)v).ToArray(), dX, $"stride-2 col2im {g}", atol: 1e-5);
    }
}
