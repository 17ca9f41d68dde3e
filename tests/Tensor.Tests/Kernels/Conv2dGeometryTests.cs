using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

public class Conv2dGeometryTests
{
    [Fact]
    public void InvalidGeometryIsRejectedWithTheShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Conv2dGeometry.Create(2, 3, 2, 2, 4, 5, 5, 1, 0));
        Assert.Contains("(2, 3, 2, 2)", e.Message);
        Assert.Contains("(4, 3, 5, 5)", e.Message);
        Assert.Throws<ArgumentException>(() => Conv2dGeometry.Create(1, 1, 4, 4, 1, 3, 3, 0, 0));
        Assert.Throws<ArgumentException>(() => Conv2dGeometry.Create(1, 1, 4, 4, 1, 3, 3, 1, -1));
        var g = Conv2dGeometry.Create(1, 2, 4, 4, 3, 3, 3, 1, 1);
        var wrong = Assert.Throws<ArgumentException>(() => Conv2d.Forward(new float[31], new float[54], [], new float[48], g));
        Assert.Contains("x has 31 elements", wrong.Message);
        Assert.Throws<ArgumentException>(() => Conv2d.Forward(new float[32], new float[54], new float[2], new float[48], g));
    }

    [Fact]
    public void OutputSizeFollowsTheFloorFormula()
    {
        var g = Conv2dGeometry.Create(1, 1, 32, 32, 1, 3, 3, 2, 1);
        Assert.Equal((16, 16), (g.P, g.Q));
        var rect = new Conv2dGeometry(1, 1, 7, 5, 1, 3, 2, 2, 1, 1, 0);
        Assert.Equal((4, 4), (rect.P, rect.Q));
    }
}
