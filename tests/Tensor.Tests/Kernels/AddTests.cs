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
