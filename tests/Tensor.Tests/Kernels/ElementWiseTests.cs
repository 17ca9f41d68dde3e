using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

public class ElementWiseTests
{
    [Fact]
    public void LengthMismatchIsRejectedBeforeWork()
    {
        var y = new float[3];
        var e = Assert.Throws<ArgumentException>(() => Add.Forward(new float[3], new float[4], y));
        Assert.Contains("4", e.Message);
        Assert.Equal(new float[3], y);
    }

    [Theory]
    [Trait("Category", "Kernel")]
    [MemberData(nameof(KernelData.Sizes), MemberType = typeof(KernelData))]
    public void InPlaceMatchesOutOfPlace(int n)
    {
        var a = KernelData.Uniform(n, n);
        var b = KernelData.Uniform(n, n + 1000);
        var expected = new float[n];
        Multiply.ForwardReference(a, b, expected);
        Multiply.Forward(a, b, a);
        Close.Identical(expected, a, $"in-place multiply n={n}");
    }

    [Theory]
    [Trait("Category", "Kernel")]
    [MemberData(nameof(KernelData.Sizes), MemberType = typeof(KernelData))]
    public void SumOfProductsMatchesDoubleSum(int n)
    {
        var a = KernelData.Uniform(n, n);
        var b = KernelData.Uniform(n, n + 1);
        double expected = 0;
        for (int i = 0; i < n; i++) expected += (double)a[i] * b[i];
        float actual = ElementWise.Sum(default(Multiply.MultiplyOperator), a, b);
        Close.Assert([(float)expected], [actual], $"sum n={n}");
    }
}
