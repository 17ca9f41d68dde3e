using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

[Trait("Category", "Kernel")]
public class CrossEntropyTests
{
    public static readonly TheoryData<int, int> Shapes = new() { { 1, 1 }, { 1, 3 }, { 4, 10 }, { 7, 17 }, { 3, 100 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndBackwardMatchReference(int n, int c)
    {
        var logits = KernelData.Uniform(n * c, n * 100 + c, scale: 4);
        var labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = (i * 7 + 3) % c;
        var expectedGrad = KernelData.Uniform(n * c, 5);
        var actualGrad = (float[])expectedGrad.Clone();
        float expected = CrossEntropy.Reference(logits, labels, 0.7f, expectedGrad, n, c);
        var probabilities = new float[n * c];
        float actual = CrossEntropy.Forward(logits, labels, probabilities, n, c);
        CrossEntropy.Backward(probabilities, labels, 0.7f, actualGrad, n, c);
        Close.Assert([expected], [actual], "loss");
        Close.Assert(expectedGrad, actualGrad, "dLogits");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    public void LabelOutOfRangeIsRejected(int label)
    {
        var e = Assert.Throws<ArgumentException>(() => CrossEntropy.Forward(new float[6], [0, label], new float[6], 2, 3));
        Assert.Contains($"label {label} at row 1", e.Message);
    }
}
