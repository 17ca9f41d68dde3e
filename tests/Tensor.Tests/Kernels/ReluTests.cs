using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

[Trait("Category", "Kernel")]
public class ReluTests
{
    [Theory]
    [MemberData(nameof(KernelData.Sizes), MemberType = typeof(KernelData))]
    public void ForwardMatchesReference(int n)
    {
        var x = KernelData.Uniform(n, n);
        if (n > 2)
        {
            x[0] = 0f;
            x[1] = -0f;
            x[2] = float.NaN;
        }
        var expected = new float[n];
        var actual = new float[n];
        Relu.ForwardReference(x, expected);
        Relu.Forward(x, actual);
        Close.Identical(expected, actual, $"relu n={n}");
    }

    [Theory]
    [MemberData(nameof(KernelData.Sizes), MemberType = typeof(KernelData))]
    public void BackwardAccumulatesLikeReference(int n)
    {
        var x = KernelData.Uniform(n, n);
        var dY = KernelData.Uniform(n, n + 1);
        var expected = KernelData.Uniform(n, n + 2);
        var actual = (float[])expected.Clone();
        Relu.BackwardReference(x, dY, expected);
        Relu.Backward(x, dY, actual);
        Close.Identical(expected, actual, $"relu backward n={n}");
    }

    [Theory]
    [MemberData(nameof(KernelData.Sizes), MemberType = typeof(KernelData))]
    public void BackwardOverwriteEqualsAccumulatingIntoZerosAndNeverReadsTheOldGradient(int n)
    {
        var x = KernelData.Uniform(n, n);
        var dY = KernelData.Uniform(n, n + 1);
        var expected = new float[n];
        Relu.BackwardReference(x, dY, expected);
        var actual = new float[n];
        Array.Fill(actual, float.NaN);
        Relu.Backward(x, dY, actual, overwrite: true);
        Close.Identical(expected, actual, $"relu backward overwrite n={n}");
    }

    [Theory]
    [MemberData(nameof(KernelData.Sizes), MemberType = typeof(KernelData))]
    public void ForwardSumIsTheSumThenTheRelu(int n)
    {
        var a = KernelData.Uniform(n, n);
        var b = KernelData.Uniform(n, n + 1);
        var expected = new float[n];
        Add.Forward(a, b, expected);
        Relu.ForwardReference(expected, expected);
        var actual = new float[n];
        Relu.ForwardSum(a, b, actual);
        Close.Identical(expected, actual, $"relu(a + b) n={n}");
    }
}
