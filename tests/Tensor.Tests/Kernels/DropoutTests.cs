using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

public class DropoutTests
{
    public static readonly TheoryData<int> Sizes = new() { 0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 33, 100, 1025 };

    [Theory]
    [MemberData(nameof(Sizes))]
    [Trait("Category", "Kernel")]
    public void MaskMatchesReference(int n)
    {
        foreach (float p in new[] { 0f, 0.1f, 0.5f, 0.9f, 1f })
        {
            var m = new float[n];
            var r = new float[n];
            var rng = new RngStream((ulong)n, 1, 2);
            var rngRef = new RngStream((ulong)n, 1, 2);
            Dropout.Mask(p, rng, m);
            Dropout.MaskReference(p, rngRef, r);
            Close.Identical(r, m, $"mask n={n} p={p}");
            Assert.Equal(rngRef.Position, rng.Position);
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    [Trait("Category", "Kernel")]
    public void ForwardAndBackwardMatchScalarLoops(int n)
    {
        var rng = new RngStream((ulong)n, 9);
        var x = new float[n];
        var dy = new float[n];
        var dx = new float[n];
        var mask = new float[n];
        rng.FillNormal(x);
        rng.FillNormal(dy);
        rng.FillNormal(dx);
        Dropout.Mask(0.3f, rng, mask);
        var y = new float[n];
        Dropout.Forward(x, mask, y);
        var expectedDx = (float[])dx.Clone();
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(x[i] * mask[i], y[i]);
            expectedDx[i] += dy[i] * mask[i];
        }
        Dropout.Backward(dy, mask, dx);
        Close.Identical(expectedDx, dx, "dX");
    }

    [Fact]
    public void KeepsTheExpectedFractionWithTheInvertedScale()
    {
        foreach (float p in new[] { 0.1f, 0.5f, 0.8f })
        {
            var m = new float[100_000];
            Dropout.Mask(p, new RngStream(4, 4), m);
            int kept = m.Count(v => v != 0);
            Assert.All(m, v => Assert.True(v == 0 || v == 1 / (1 - p)));
            // Binomial standard deviation is at most 160 here; allow 5 sigma.
            Assert.InRange(kept, (1 - p) * m.Length - 800, (1 - p) * m.Length + 800);
        }
        Assert.Equal(0f, Dropout.Scale(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Scale(1.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Scale(float.NaN));
    }
}
