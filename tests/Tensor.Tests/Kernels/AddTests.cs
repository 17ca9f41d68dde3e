using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

[Trait("Category", "Kernel")]
public class AddTests
{
    [Theory]
    [MemberData(nameof(KernelData.Sizes), MemberType = typeof(KernelData))]
    public void ForwardMatchesReference(int n)
    {
        var a = KernelData.Uniform(n, n);
        var b = KernelData.Uniform(n, n + 1);
        var expected = new float[n];
        var actual = new float[n];
        Add.ForwardReference(a, b, expected);
        Add.Forward(a, b, actual);
        Close.Identical(expected, actual, $"add n={n}");
    }

    [Theory]
    [MemberData(nameof(KernelData.Sizes), MemberType = typeof(KernelData))]
    public void AccumulateAddsIntoDestination(int n)
    {
        var dY = KernelData.Uniform(n, n);
        var dX = KernelData.Uniform(n, n + 1);
        var expected = new float[n];
        Add.ForwardReference(dX, dY, expected);
        Add.Accumulate(dY, dX);
        Close.Identical(expected, dX, $"add accumulate n={n}");
    }
}

[Trait("Category", "Kernel")]
public class AddBiasTests
{
    public static readonly TheoryData<int, int, int> Shapes = new() { { 1, 1, 1 }, { 2, 3, 1 }, { 2, 3, 7 }, { 3, 2, 16 }, { 1, 4, 17 }, { 2, 2, 100 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BiasForwardMatchesReference(int n, int c, int hw)
    {
        var x = KernelData.Uniform(n * c * hw, n * 1000 + c * 100 + hw);
        var bias = KernelData.Uniform(c, hw);
        var expected = new float[x.Length];
        var actual = new float[x.Length];
        Add.BiasForwardReference(x, bias, expected, n, c, hw);
        Add.BiasForward(x, bias, actual, n, c, hw);
        Close.Identical(expected, actual, "bias forward");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BiasBackwardMatchesReference(int n, int c, int hw)
    {
        var dY = KernelData.Uniform(n * c * hw, n * 1000 + c * 100 + hw);
        var expected = KernelData.Uniform(c, 3);
        var actual = (float[])expected.Clone();
        Add.BiasBackwardReference(dY, expected, n, c, hw);
        Add.BiasBackward(dY, actual, n, c, hw);
        Close.Assert(expected, actual, "bias backward");
    }
}
