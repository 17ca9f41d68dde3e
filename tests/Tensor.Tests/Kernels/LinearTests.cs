using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

[Collection(nameof(WorkerCountCollection))]
[Trait("Category", "Kernel")]
public class LinearTests
{
    public static readonly TheoryData<int, int, int, bool> Shapes = new()
    {
        { 1, 1, 1, true }, { 3, 7, 5, false }, { 4, 16, 9, true }, { 5, 17, 8, true },
        { 2, 33, 15, false }, { 9, 8, 17, true }, { 16, 31, 4, true }, { 7, 64, 70, true },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndBackwardMatchReference(int n, int inFeatures, int outFeatures, bool bias)
    {
        int seed = n * 1000 + inFeatures * 10 + outFeatures;
        var x = KernelData.Uniform(n * inFeatures, seed);
        var w = KernelData.Uniform(outFeatures * inFeatures, seed + 1);
        var b = bias ? KernelData.Uniform(outFeatures, seed + 2) : [];
        var dY = KernelData.Uniform(n * outFeatures, seed + 3);
        var (y, dX, dW, dB) = Run(x, w, b, dY, n, inFeatures, outFeatures);

        var yRef = new float[n * outFeatures];
        Linear.ForwardReference(x, w, b, yRef, n, inFeatures, outFeatures);
        var dXRef = KernelData.Uniform(n * inFeatures, 7);
        var dWRef = KernelData.Uniform(outFeatures * inFeatures, 8);
        var dBRef = KernelData.Uniform(outFeatures, 9);
        Linear.BackwardReference(dY, x, w, dXRef, dWRef, dBRef, n, inFeatures, outFeatures);
        Close.Assert(yRef, y, "y", atol: 1e-4);
        Close.Assert(dXRef, dX, "dX", atol: 1e-4);
        Close.Assert(dWRef, dW, "dW", atol: 1e-4);
        Close.Assert(dBRef, dB, "dB", atol: 1e-4);
    }

    [Fact]
    public void ResultDoesNotDependOnWorkerCount()
    {
        int n = 33, inFeatures = 70, outFeatures = 45;
        var x = KernelData.Uniform(n * inFeatures, 1);
        var w = KernelData.Uniform(outFeatures * inFeatures, 2);
        var b = KernelData.Uniform(outFeatures, 3);
        var dY = KernelData.Uniform(n * outFeatures, 4);
        (float[], float[], float[], float[]) one = default, two = default;
        KernelData.WithWorkers(1, () => one = Run(x, w, b, dY, n, inFeatures, outFeatures));
        KernelData.WithWorkers(2, () => two = Run(x, w, b, dY, n, inFeatures, outFeatures));
        Close.Identical(one.Item1, two.Item1, "y");
        Close.Identical(one.Item2, two.Item2, "dX");
        Close.Identical(one.Item3, two.Item3, "dW");
        Close.Identical(one.Item4, two.Item4, "dB");
    }

    [Fact]
    public void MismatchedShapesAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Linear.Forward(new float[6], new float[6], new float[2], new float[5], 2, 3, 2));
        Assert.Contains("In=3", e.Message);
    }

    private static (float[] Y, float[] DX, float[] DW, float[] DB) Run(float[] x, float[] w, float[] b, float[] dY, int n, int inFeatures, int outFeatures)
    {
        var y = new float[n * outFeatures];
        Array.Fill(y, float.NaN);
        Linear.Forward(x, w, b, y, n, inFeatures, outFeatures);
        // Gradients start non-zero to check that the kernels accumulate.
        var dX = KernelData.Uniform(n * inFeatures, 7);
        var dW = KernelData.Uniform(outFeatures * inFeatures, 8);
        var dB = KernelData.Uniform(outFeatures, 9);
        Linear.BackwardData(dY, w, dX, n, inFeatures, outFeatures);
        Linear.BackwardWeight(dY, x, dW, n, inFeatures, outFeatures);
        Linear.BackwardBias(dY, dB, n, outFeatures);
        return (y, dX, dW, dB);
    }
}
