using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

[Trait("Category", "Kernel")]
/// <summary>How the convolution writes its output: the ReLU epilogue of forward, and backward-data overwriting dX.</summary>
public class Conv2dOutputModeTests
{
    /// <summary>Every forward path: direct 3x3 (stride 1, and stride 2 with C ≥ 8), Winograd (C, K ≥ 128), one image per GEMM (5x5, P·Q ≥ 256), several images per GEMM, 1x1 in place.</summary>
    [Theory]
    [InlineData(2, 128, 5, 6, 130, 3, 1, 1, true)]
    [InlineData(2, 16, 8, 8, 24, 3, 1, 1, true)]
    [InlineData(2, 3, 16, 16, 5, 3, 1, 1, true)]
    [InlineData(2, 3, 16, 16, 5, 5, 1, 2, true)]
    [InlineData(2, 16, 9, 9, 12, 3, 2, 1, true)]
    [InlineData(5, 4, 4, 4, 6, 3, 2, 1, true)]
    [InlineData(2, 6, 16, 16, 7, 1, 1, 0, false)]
    [InlineData(3, 9, 5, 5, 10, 3, 1, 1, false)]
    public void ReluEpilogueIsTheReluOfTheConvolution(int n, int c, int h, int w, int k, int r, int stride, int pad, bool bias)
    {
        var g = new Conv2dGeometry(n, c, h, w, k, r, r, stride, stride, pad, pad);
        var x = KernelData.Uniform(g.XLength, 1);
        var wt = KernelData.Uniform(g.WLength, 2);
        var b = bias ? KernelData.Uniform(k, 3) : [];
        var expected = new float[g.YLength];
        Conv2d.Forward(x, wt, b, expected, g);
        Relu.Forward(expected, expected);
        var actual = new float[g.YLength];
        Array.Fill(actual, float.NaN);
        Conv2d.Forward(x, wt, b, actual, g, relu: true);
        Close.Identical(expected, actual, $"relu(conv) {g}");
        Assert.Contains(actual, v => v == 0f);
    }

    [Theory]
    [MemberData(nameof(Conv2dTests.Geometries), MemberType = typeof(Conv2dTests))]
    public void BackwardDataOverwriteEqualsAccumulatingIntoZeros(int n, int c, int h, int w, int k, int r, int s, int sh, int sw, int ph, int pw)
    {
        var g = new Conv2dGeometry(n, c, h, w, k, r, s, sh, sw, ph, pw);
        var dY = KernelData.Uniform(g.YLength, 4);
        var wt = KernelData.Uniform(g.WLength, 5);
        var expected = new float[g.XLength];
        Conv2d.BackwardData(dY, wt, expected, g);
        var actual = new float[g.XLength];
        Array.Fill(actual, float.NaN);
        Conv2d.BackwardData(dY, wt, actual, g, overwrite: true);
        Close.Identical(expected, actual, $"backward-data overwrite {g}");
    }
}
