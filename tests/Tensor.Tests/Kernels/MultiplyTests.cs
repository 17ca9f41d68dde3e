using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

[Trait("Category", "Kernel")]
public class MultiplyTests
{
    [Theory]
    [MemberData(nameof(KernelData.Sizes), MemberType = typeof(KernelData))]
    public void ForwardMatchesReference(int n)
    {
        var a = KernelData.Uniform(n, n);
        var b = KernelData.Uniform(n, n + 1);
        var expected = new float[n];
        var actual = new float[n];
        Multiply.ForwardReference(a, b, expected);
        Multiply.Forward(a, b, actual);
        Close.Identical(expected, actual, $"multiply n={n}");
    }

    [Theory]
    [MemberData(nameof(KernelData.Sizes), MemberType = typeof(KernelData))]
    public void BackwardAccumulatesLikeReference(int n)
    {
        var dY = KernelData.Uniform(n, n);
        var other = KernelData.Uniform(n, n + 1);
        var expected = KernelData.Uniform(n, n + 2);
        var actual = (float[])expected.Clone();
        Multiply.BackwardReference(dY, other, expected);
        Multiply.Backward(dY, other, actual);
        Close.Identical(expected, actual, $"multiply backward n={n}");
    }
}
