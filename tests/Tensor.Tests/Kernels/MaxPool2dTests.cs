using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

public class MaxPool2dTests
{
    public static TheoryData<int, int, int, int, int, int, int> Geometries => Pool2dGeometryTests.Geometries;

    [Theory]
    [Trait("Category", "Kernel")]
    [MemberData(nameof(Geometries))]
    public void ForwardAndBackwardMatchReferenceBitForBit(int n, int c, int h, int w, int kernel, int stride, int padding)
    {
        var g = Pool2dGeometryTests.Create(n, c, h, w, kernel, stride, padding);
        var rng = new Random(g.XLength);
        // Rounded values so that windows hold ties: the first maximum must win in both.
        float[] x = Conv2dTests.Values(rng, g.XLength).Select(v => MathF.Round(v * 4)).ToArray();
        float[] y = new float[g.YLength], a = new float[g.YLength], yRef = new float[g.YLength], aRef = new float[g.YLength];
        MaxPool2d.ForwardReference(x, yRef, aRef, g);
        MaxPool2d.Forward(x, y, a, g);
        Close.Identical(yRef, y, $"max-pool forward {g}");
        Close.Identical(aRef, a, $"max-pool argmax {g}");

        float[] dY = Conv2dTests.Values(rng, g.YLength), dX = Conv2dTests.Values(rng, g.XLength);
        float[] dXRef = (float[])dX.Clone();
        MaxPool2d.BackwardReference(dY, aRef, dXRef, g);
        MaxPool2d.Backward(dY, a, dX, g);
        Close.Identical(dXRef, dX, $"max-pool backward {g}");
    }

    /// <summary>The 2x2 stride-2 path (16 lanes where a row has a multiple of 16 outputs or 8, scalar otherwise) with NaNs and ties.</summary>
    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(2, 4, 64)]
    [InlineData(2, 10, 16)]
    [InlineData(1, 17, 17)]
    [InlineData(3, 7, 10)]
    [InlineData(2, 5, 32)]
    public void Window2KeepsTheGeneralRuleForNaNsAndTies(int n, int h, int w)
    {
        var g = Pool2dGeometryTests.Create(n, 3, h, w, 2, 2, 0);
        var rng = new Random(g.XLength);
        float[] x = Conv2dTests.Values(rng, g.XLength).Select(v => MathF.Round(v * 2)).ToArray();
        for (int i = 0; i < x.Length; i += 7) x[i] = float.NaN;
        float[] y = new float[g.YLength], a = new float[g.YLength], yRef = new float[g.YLength], aRef = new float[g.YLength];
        MaxPool2d.ForwardReference(x, yRef, aRef, g);
        MaxPool2d.Forward(x, y, a, g);
        Close.Identical(yRef, y, $"max-pool forward {g}");
        Close.Identical(aRef, a, $"max-pool argmax {g}");
    }

    [Fact]
    public void FirstMaximumWinsAndPaddingNeverDoes()
    {
        var g = Pool2dGeometryTests.Create(1, 1, 2, 3, 2, 1, 1);
        float[] x = [-5, -1, -1, -1, -7, -2];
        float[] y = new float[g.YLength], a = new float[g.YLength];
        MaxPool2d.Forward(x, y, a, g);
        Assert.Equal(new float[] { -5, -1, -1, -1, -1, -1, -1, -1, -1, -1, -2, -2 }, y);
        Assert.Equal(new float[] { 0, 1, 1, 2, 3, 1, 1, 2, 3, 3, 5, 5 }, a);
    }

    [Fact]
    public void OneAndTwoThreadsGiveIdenticalBits()
    {
        var g = Pool2dGeometryTests.Create(4, 40, 16, 16, 3, 2, 1);
        var rng = new Random(7);
        float[] x = Conv2dTests.Values(rng, g.XLength), dY = Conv2dTests.Values(rng, g.YLength);
        var one = Pool2dGeometryTests.WithThreads(1, Run);
        var two = Pool2dGeometryTests.WithThreads(2, Run);
        Close.Identical(one.Y, two.Y, "max-pool forward");
        Close.Identical(one.DX, two.DX, "max-pool backward");

        (float[] Y, float[] DX) Run()
        {
            float[] y = new float[g.YLength], a = new float[g.YLength], dX = new float[g.XLength];
            MaxPool2d.Forward(x, y, a, g);
            MaxPool2d.Backward(dY, a, dX, g);
            return (y, dX);
        }
    }
}
