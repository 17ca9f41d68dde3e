using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

public class AvgPool2dTests
{
    public static TheoryData<int, int, int, int, int, int, int> Geometries => Pool2dGeometryTests.Geometries;

    [Theory]
    [Trait("Category", "Kernel")]
    [MemberData(nameof(Geometries))]
    public void ForwardAndBackwardMatchReferenceBitForBit(int n, int c, int h, int w, int kernel, int stride, int padding)
    {
        var g = Pool2dGeometryTests.Create(n, c, h, w, kernel, stride, padding);
        var rng = new Random(g.XLength);
        float[] x = Conv2dTests.Values(rng, g.XLength);
        float[] y = new float[g.YLength], yRef = new float[g.YLength];
        AvgPool2d.ForwardReference(x, yRef, g);
        AvgPool2d.Forward(x, y, g);
        Close.Identical(yRef, y, $"avg-pool forward {g}");

        float[] dY = Conv2dTests.Values(rng, g.YLength), dX = Conv2dTests.Values(rng, g.XLength);
        float[] dXRef = (float[])dX.Clone();
        AvgPool2d.BackwardReference(dY, dXRef, g);
        AvgPool2d.Backward(dY, dX, g);
        Close.Identical(dXRef, dX, $"avg-pool backward {g}");
    }

    [Fact]
    public void PaddingCountsInTheDivisor()
    {
        var g = Pool2dGeometryTests.Create(1, 1, 2, 2, 2, 2, 1);
        float[] y = new float[g.YLength];
        AvgPool2d.Forward([4, 8, 12, 16], y, g);
        Assert.Equal(new float[] { 1, 2, 3, 4 }, y);
    }

    [Fact]
    public void OneAndTwoThreadsGiveIdenticalBits()
    {
        var g = Pool2dGeometryTests.Create(4, 40, 16, 16, 3, 2, 1);
        var rng = new Random(8);
        float[] x = Conv2dTests.Values(rng, g.XLength), dY = Conv2dTests.Values(rng, g.YLength);
        var one = Pool2dGeometryTests.WithThreads(1, Run);
        var two = Pool2dGeometryTests.WithThreads(2, Run);
        Close.Identical(one.Y, two.Y, "avg-pool forward");
        Close.Identical(one.DX, two.DX, "avg-pool backward");

        (float[] Y, float[] DX) Run()
        {
            float[] y = new float[g.YLength], dX = new float[g.XLength];
            AvgPool2d.Forward(x, y, g);
            AvgPool2d.Backward(dY, dX, g);
            return (y, dX);
        }
    }
}
