using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

public class GlobalAvgPoolTests
{
    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(1, 1, 1)]
    [InlineData(2, 3, 7)]
    [InlineData(3, 16, 64)]
    [InlineData(5, 17, 9)]
    [InlineData(128, 64, 64)]
    public void ForwardAndBackwardMatchReferenceBitForBit(int n, int c, int hw)
    {
        var rng = new Random(n * c * hw);
        float[] x = Conv2dTests.Values(rng, n * c * hw);
        float[] y = new float[n * c], yRef = new float[n * c];
        GlobalAvgPool.ForwardReference(x, yRef, hw);
        GlobalAvgPool.Forward(x, y, hw);
        Close.Identical(yRef, y, "global-avg-pool forward");

        float[] dY = Conv2dTests.Values(rng, n * c), dX = Conv2dTests.Values(rng, n * c * hw);
        float[] dXRef = (float[])dX.Clone();
        GlobalAvgPool.BackwardReference(dY, dXRef, hw);
        GlobalAvgPool.Backward(dY, dX, hw);
        Close.Identical(dXRef, dX, "global-avg-pool backward");

        Array.Clear(dXRef);
        GlobalAvgPool.BackwardReference(dY, dXRef, hw);
        Array.Fill(dX, float.NaN);
        GlobalAvgPool.Backward(dY, dX, hw, overwrite: true);
        Close.Identical(dXRef, dX, "global-avg-pool backward overwriting");
    }

    [Fact]
    public void OneAndTwoThreadsGiveIdenticalBits()
    {
        var rng = new Random(9);
        float[] x = Conv2dTests.Values(rng, 64 * 32 * 49);
        var one = Pool2dGeometryTests.WithThreads(1, Run);
        var two = Pool2dGeometryTests.WithThreads(2, Run);
        Close.Identical(one, two, "global-avg-pool forward");

        float[] Run()
        {
            float[] y = new float[64 * 32];
            GlobalAvgPool.Forward(x, y, 49);
            return y;
        }
    }

    [Fact]
    public void MismatchedLengthsAreRejected() =>
        Assert.Throws<ArgumentException>(() => GlobalAvgPool.Forward(new float[10], new float[3], 3));
}
