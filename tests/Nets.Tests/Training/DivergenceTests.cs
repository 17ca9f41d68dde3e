using NanoFed.Nets.Training;
using Xunit;

namespace NanoFed.Tests.Training;

public class DivergenceTests
{
    [Fact]
    public void FiniteStateIsQuiet() =>
        Assert.Null(Divergence.NonFinite([("a", Tensor.FromArray([1f, -2f, 3e30f], new Shape(3))), ("b", Tensor.Zeros(new Shape(17)))]));

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void TheFirstNonFiniteTensorIsNamedWithItsCount(float bad)
    {
        var values = new float[33];
        values[5] = bad;
        values[32] = bad;
        string? what = Divergence.NonFinite([("ok", Tensor.Zeros(new Shape(4))), ("layer.weight", Tensor.FromArray(values, new Shape(33)))]);
        Assert.Equal("layer.weight holds 2 non-finite value(s) of 33", what);
    }

    [Fact]
    public void ASumThatOverflowsIsDivergenceToo() =>
        Assert.Equal("w sums to more than a float holds", Divergence.NonFinite([("w", Tensor.FromArray([3e38f, 3e38f], new Shape(2)))]));

    [Theory]
    [InlineData(0.0, null)]
    [InlineData(2.3, null)]
    [InlineData(9999.0, null)]
    [InlineData(9.2e16, "the test loss is 9.2E+16, past 10000 (chance level is about 2.3)")]
    [InlineData(double.NaN, "the test loss is NaN")]
    [InlineData(double.PositiveInfinity, "the test loss is Infinity")]
    public void ALossPastTheBoundIsDivergenceEvenWhenFinite(double loss, string? expected) =>
        Assert.Equal(expected, Divergence.Loss("the test loss", loss));
}
