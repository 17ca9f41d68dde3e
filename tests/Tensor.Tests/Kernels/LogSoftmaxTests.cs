using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

[Trait("Category", "Kernel")]
public class LogSoftmaxTests
{
    public static readonly TheoryData<int, int, float> Shapes = new()
    {
        { 1, 1, 1f }, { 3, 3, 1f }, { 2, 10, 1f }, { 4, 17, 3f }, { 1, 100, 0.5f },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardMatchesReference(int n, int c, float temperature)
    {
        var x = KernelData.Uniform(n * c, n * 100 + c, scale: 4);
        var expected = new float[n * c];
        var actual = new float[n * c];
        LogSoftmax.ForwardReference(x, expected, n, c, temperature);
        LogSoftmax.Forward(x, actual, n, c, temperature);
        Close.Assert(expected, actual, "log-softmax");
    }

    [Fact]
    public void LargeLogitsDoNotOverflow()
    {
        float[] x = [1000f, 0f, -1000f];
        var y = new float[3];
        LogSoftmax.Forward(x, y, 1, 3);
        Close.Assert([0f, -1000f, -2000f], y, "log-softmax of large logits");
    }

    [Fact]
    public void BackwardMatchesDifferences()
    {
        int n = 2, c = 5;
        var x = KernelData.Uniform(n * c, 1, scale: 2);
        var dY = KernelData.Uniform(n * c, 2);
        var y = new float[n * c];
        LogSoftmax.Forward(x, y, n, c, 2f);
        var dX = new float[n * c];
        LogSoftmax.Backward(y, dY, dX, n, c, 2f);
        for (int i = 0; i < x.Length; i++)
        {
            double Probe(float delta)
            {
                var xp = (float[])x.Clone();
                xp[i] += delta;
                var yp = new float[n * c];
                LogSoftmax.ForwardReference(xp, yp, n, c, 2f);
                double s = 0;
                for (int j = 0; j < yp.Length; j++) s += (double)yp[j] * dY[j];
                return s;
            }
            double numeric = (Probe(1e-2f) - Probe(-1e-2f)) / 2e-2;
            Assert.True(Math.Abs(numeric - dX[i]) < 2e-3, $"element {i}: analytic {dX[i]}, numeric {numeric}");
        }
    }
}
