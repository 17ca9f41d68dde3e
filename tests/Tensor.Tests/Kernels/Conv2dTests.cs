using NanoFed.Kernels;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests;

[Collection(nameof(WorkerCountCollection))]
public class Conv2dTests
{
    /// <summary>(N, C, H, W, K, R, S, strideH, strideW, padH, padW): 3x3 pad 1 stride 1/2, 1x1 stride 1/2, 5x5,
    /// non-square, batch 1 and 3, channels around 4/8/16, a batch longer than the backward-weight chunk count,
    /// output planes of at least 256 (one image per GEMM) and of 4 (many images per GEMM, a ragged last group), and
    /// stride-1 shapes whose backward-data runs as a flipped forward convolution (C ≥ K ≥ 1, P·Q ≥ 256, any padding
    /// below the filter), 3x3 pad-1 shapes for the direct kernel (K not a multiple of 8; rows of 31, 8, 4; stride 2 on even and odd planes),
    /// and "same" 5x5 pad-2 and 7x7 pad-3 filters wider than their maps (1x1 to 3x1, 1x3, 2x2), whose im2col rows are
    /// shifted by more than the plane is wide (a crash once), with one 7x7 pad-3 layer whose backward-data is a flipped forward.</summary>
    public static TheoryData<int, int, int, int, int, int, int, int, int, int, int> Geometries => new()
    {
        { 1, 3, 8, 8, 16, 3, 3, 1, 1, 1, 1 },
        { 3, 4, 9, 9, 8, 3, 3, 2, 2, 1, 1 },
        { 3, 16, 8, 8, 17, 1, 1, 2, 2, 0, 0 },
        { 2, 7, 6, 6, 9, 1, 1, 1, 1, 0, 0 },
        { 2, 5, 11, 9, 4, 5, 5, 1, 1, 2, 2 },
        { 3, 15, 7, 5, 33, 3, 3, 1, 1, 1, 1 },
        { 1, 17, 5, 6, 7, 3, 2, 2, 1, 1, 0 },
        { 2, 8, 4, 4, 16, 3, 3, 1, 1, 0, 0 },
        { 3, 9, 5, 5, 15, 3, 3, 2, 2, 0, 0 },
        { 19, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1 },
        { 2, 3, 16, 16, 4, 3, 3, 1, 1, 1, 1 },
        { 3, 5, 16, 17, 6, 1, 1, 1, 1, 0, 0 },
        { 40, 3, 2, 2, 5, 3, 3, 1, 1, 1, 1 },
        { 2, 9, 16, 16, 8, 3, 3, 1, 1, 1, 1 },
        { 1, 8, 16, 17, 8, 5, 5, 1, 1, 2, 2 },
        { 2, 8, 18, 19, 4, 3, 3, 1, 1, 0, 0 },
        { 1, 16, 16, 16, 3, 3, 2, 1, 1, 2, 1 },
        { 3, 16, 8, 8, 16, 3, 3, 1, 1, 1, 1 },
        { 1, 17, 9, 31, 7, 3, 3, 1, 1, 1, 1 },
        { 2, 64, 4, 4, 64, 3, 3, 1, 1, 1, 1 },
        { 1, 100, 16, 16, 12, 3, 3, 1, 1, 1, 1 },
        { 2, 16, 16, 16, 32, 3, 3, 2, 2, 1, 1 },
        { 3, 9, 9, 7, 10, 3, 3, 2, 2, 1, 1 },
        { 2, 3, 1, 1, 4, 5, 5, 1, 1, 2, 2 },
        { 2, 3, 2, 1, 4, 5, 5, 1, 1, 2, 2 },
        { 3, 2, 3, 1, 5, 5, 5, 1, 1, 2, 2 },
        { 2, 3, 1, 3, 4, 5, 5, 1, 1, 2, 2 },
        { 2, 3, 1, 1, 4, 7, 7, 1, 1, 3, 3 },
        { 2, 2, 2, 1, 3, 7, 7, 1, 1, 3, 3 },
        { 3, 3, 3, 1, 4, 7, 7, 1, 1, 3, 3 },
        { 2, 4, 2, 2, 6, 7, 7, 1, 1, 3, 3 },
        { 1, 9, 16, 16, 8, 7, 7, 1, 1, 3, 3 },
    };

    [Theory]
    [Trait("Category", "Kernel")]
    [MemberData(nameof(Geometries))]
    public void ForwardMatchesReference(int n, int c, int h, int w, int k, int r, int s, int sh, int sw, int ph, int pw)
    {
        var g = new Conv2dGeometry(n, c, h, w, k, r, s, sh, sw, ph, pw);
        var rng = new Random(g.XLength + g.WLength);
        float[] x = Values(rng, g.XLength), wt = Values(rng, g.WLength), b = Values(rng, k);
        foreach (var bias in new[] { b, [] })
        {
            float[] expected = Values(rng, g.YLength), actual = Values(rng, g.YLength);
            Conv2d.ForwardReference(x, wt, bias, expected, g);
            Conv2d.Forward(x, wt, bias, actual, g);
            Close.Assert(expected, actual, $"conv forward {g} bias {bias.Length}", atol: 1e-4);
        }
    }

    [Theory]
    [Trait("Category", "Kernel")]
    [MemberData(nameof(Geometries))]
    public void BackwardDataAccumulatesLikeReference(int n, int c, int h, int w, int k, int r, int s, int sh, int sw, int ph, int pw)
    {
        var g = new Conv2dGeometry(n, c, h, w, k, r, s, sh, sw, ph, pw);
        var rng = new Random(g.YLength + g.WLength);
        float[] dY = Values(rng, g.YLength), wt = Values(rng, g.WLength), expected = Values(rng, g.XLength);
        float[] actual = (float[])expected.Clone();
        Conv2d.BackwardDataReference(dY, wt, expected, g);
        Conv2d.BackwardData(dY, wt, actual, g);
        Close.Assert(expected, actual, $"conv backward-data {g}", atol: 1e-4);
    }

    [Theory]
    [Trait("Category", "Kernel")]
    [MemberData(nameof(Geometries))]
    public void BackwardWeightAccumulatesLikeReference(int n, int c, int h, int w, int k, int r, int s, int sh, int sw, int ph, int pw)
    {
        var g = new Conv2dGeometry(n, c, h, w, k, r, s, sh, sw, ph, pw);
        var rng = new Random(g.XLength + g.YLength);
        float[] x = Values(rng, g.XLength), dY = Values(rng, g.YLength);
        float[] dW = Values(rng, g.WLength), dB = Values(rng, k);
        float[] dWExpected = (float[])dW.Clone(), dBExpected = (float[])dB.Clone();
        Conv2d.BackwardWeightReference(x, dY, dWExpected, dBExpected, g);
        Conv2d.BackwardWeight(x, dY, dW, dB, g);
        Close.Assert(dWExpected, dW, $"conv backward-weight dW {g}", atol: 1e-4);
        Close.Assert(dBExpected, dB, $"conv backward-weight dB {g}", atol: 1e-4);

        float[] onlyB = Values(rng, k), onlyBExpected = (float[])onlyB.Clone();
        Conv2d.BackwardWeightReference(x, dY, [], onlyBExpected, g);
        Conv2d.BackwardWeight(x, dY, [], onlyB, g);
        Close.Assert(onlyBExpected, onlyB, $"conv backward-weight dB only {g}", atol: 1e-4);
    }

    [Theory]
    [InlineData(20, 5, 6, 6, 7, 3, 1, 1)]
    [InlineData(37, 3, 5, 5, 4, 3, 2, 1)]
    [InlineData(6, 4, 4, 4, 8, 1, 1, 0)]
    [InlineData(1, 4, 6, 6, 5, 3, 1, 1)]
    [InlineData(5, 3, 16, 16, 4, 3, 1, 1)]
    [InlineData(300, 2, 3, 3, 3, 3, 1, 1)]
    [InlineData(3, 8, 16, 16, 8, 3, 1, 1)]
    [InlineData(4, 16, 8, 8, 13, 3, 1, 1)]
    public void OneAndTwoThreadsGiveIdenticalBits(int n, int c, int h, int w, int k, int r, int stride, int pad)
    {
        var g = Conv2dGeometry.Create(n, c, h, w, k, r, r, stride, pad);
        var rng = new Random(n * 1000 + c);
        float[] x = Values(rng, g.XLength), wt = Values(rng, g.WLength), b = Values(rng, k), dY = Values(rng, g.YLength);
        var one = Run(1);
        var two = Run(2);
        for (int i = 0; i < one.Length; i++) Close.Identical(one[i], two[i], $"conv output {i} of {g}");

        float[][] Run(int threads)
        {
            int saved = Workers.Count;
            Workers.Count = threads;
            try
            {
                float[] y = new float[g.YLength], dX = new float[g.XLength], dW = new float[g.WLength], dB = new float[k];
                Conv2d.Forward(x, wt, b, y, g);
                Conv2d.BackwardData(dY, wt, dX, g);
                Conv2d.BackwardWeight(x, dY, dW, dB, g);
                return [y, dX, dW, dB];
            }
            finally
            {
                Workers.Count = saved;
            }
        }
    }

    internal static float[] Values(Random rng, int length)
    {
        var v = new float[length];
        for (int i = 0; i < length; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }
}
