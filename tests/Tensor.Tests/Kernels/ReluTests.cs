using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

[Collection(nameof(WorkerCountCollection))]
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

    [Theory]
    [InlineData(17, false, false)]
    [InlineData(70_001, true, false)]
    [InlineData(70_001, false, true)]
    [InlineData(100_000, true, true)]
    public void BackwardSumIsTwoReluBackwards(int n, bool overwriteA, bool overwriteB)
    {
        // Lengths past one parallel range (32768) and one staged sub-range (4096), with ragged ends.
        var y = KernelData.Uniform(n, 1);
        var dY = KernelData.Uniform(n, 2);
        var expectedA = overwriteA ? new float[n] : KernelData.Uniform(n, 3);
        var expectedB = overwriteB ? new float[n] : KernelData.Uniform(n, 4);
        var actualA = overwriteA ? Enumerable.Repeat(float.NaN, n).ToArray() : (float[])expectedA.Clone();
        var actualB = overwriteB ? Enumerable.Repeat(float.NaN, n).ToArray() : (float[])expectedB.Clone();
        Relu.BackwardReference(y, dY, expectedA);
        Relu.BackwardReference(y, dY, expectedB);
        Relu.BackwardSum(y, dY, actualA, overwriteA, actualB, overwriteB);
        Close.Identical(expectedA, actualA, "dA");
        Close.Identical(expectedB, actualB, "dB");
    }

    [Fact]
    public void BackwardSumIntoOneBufferGivesTwiceTheGradient()
    {
        int n = 40_000;
        var y = KernelData.Uniform(n, 1);
        var dY = KernelData.Uniform(n, 2);
        var expected = new float[n];
        Relu.BackwardReference(y, dY, expected);
        Relu.BackwardReference(y, dY, expected);
        var actual = Enumerable.Repeat(float.NaN, n).ToArray();
        Relu.BackwardSum(y, dY, actual, overwriteA: true, actual, overwriteB: false);
        Close.Identical(expected, actual, "d(a + a)");
    }

    [Fact]
    public void ForwardSumAcrossParallelRangesIsTheSumThenTheRelu()
    {
        int n = 100_003;
        var a = KernelData.Uniform(n, 5);
        var b = KernelData.Uniform(n, 6);
        var expected = new float[n];
        Add.Forward(a, b, expected);
        Relu.ForwardReference(expected, expected);
        var one = new float[n];
        var two = new float[n];
        KernelData.WithWorkers(1, () => Relu.ForwardSum(a, b, one));
        KernelData.WithWorkers(2, () => Relu.ForwardSum(a, b, two));
        Close.Identical(expected, one, "relu(a + b), 1 worker");
        Close.Identical(expected, two, "relu(a + b), 2 workers");
    }
}
