using Xunit;

namespace NanoFed.Tests;

public class ShapeTests
{
    [Fact]
    public void LengthIsProductOfDimensions() => Assert.Equal(24, new Shape(2, 3, 4).Length);

    [Fact]
    public void EqualityComparesDimensions()
    {
        Assert.Equal(new Shape(2, 3), new Shape(2, 3));
        Assert.NotEqual(new Shape(2, 3), new Shape(3, 2));
        Assert.NotEqual(new Shape(6), new Shape(6, 1));
    }

    [Fact]
    public void NegativeDimensionIsRejected() =>
        Assert.Contains("negative", Assert.Throws<ArgumentException>(() => new Shape(2, -1)).Message);

    [Fact]
    public void ReshapeSharesStorage()
    {
        var t = Tensor.FromArray([1, 2, 3, 4, 5, 6], new Shape(2, 3));
        var v = t.Reshape(new Shape(3, 2));
        v.Span[5] = 60;
        Assert.Equal(60, t.Span[5]);
        Assert.Throws<ArgumentException>(() => t.Reshape(new Shape(4)));
    }

    [Fact]
    public void PooledStorageIsReused()
    {
        var a = Tensor.Zeros(new Shape(7, 13));
        float[] buffer = a.Array;
        a.Dispose();
        var b = Tensor.Zeros(new Shape(13, 7));
        Assert.Same(buffer, b.Array);
        b.Dispose();
    }
}
