using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

[Trait("Category", "Kernel")]
public unsafe class LanesTests
{
    /// <summary>z from −100 to 100 in steps of 1/64, then the edges of the clamp and of the rounding of k.</summary>
    private static float[] Arguments() =>
    [
        .. Enumerable.Range(-6400, 12801).Select(i => i / 64f),
        -88.3f, -88.4f, -88.5f, -87f, 87f, 89f, 1e-8f, -1e-8f, 0.3465f, -0.3467f, float.MaxValue, float.MinValue,
    ];

    [Fact]
    public void SigmoidIsWithinTwoUlpsOfTheExactValue()
    {
        var z = Arguments();
        var s = Sigmoid(z, int.MaxValue);
        for (int i = 0; i < z.Length; i++)
        {
            double exact = 1 / (1 + Math.Exp(-(double)z[i]));
            if (exact < 1e-37)
            {
                // Below about −88.4, e^(−z) is +∞ in float and s is 0, as 1 / (1 + MathF.Exp(−z)) gives.
                Assert.True(s[i] >= 0 && s[i] <= exact * 2, $"z {z[i]}: {s[i]} against {exact}");
                continue;
            }
            double ulp = MathF.BitIncrement((float)exact) - (float)exact;
            Assert.True(Math.Abs(s[i] - exact) <= 2 * Math.Max(ulp, float.Epsilon), $"z {z[i]}: {s[i]} against {exact}");
        }
        Assert.Equal(1f, s[Array.IndexOf(z, 87f)]);
        Assert.Equal(0f, s[Array.IndexOf(z, -88.5f)]);
        Assert.Equal(0.5f, s[Array.IndexOf(z, 0f)]);
    }

    [Fact]
    public void SigmoidGivesTheSameBitsAtEveryWidth()
    {
        var z = Arguments();
        var widest = Sigmoid(z, int.MaxValue);
        foreach (int lanes in new[] { 16, 8, 4, 1 }) Close.Identical(widest, Sigmoid(z, lanes), $"sigmoid at {lanes} lanes");
    }

    [Fact]
    public void SigmoidOfNaNIsNaN()
    {
        foreach (int lanes in new[] { 16, 8, 4, 1 })
            Assert.All(Sigmoid([float.NaN, 1f, float.NaN, 2f, float.NaN], lanes).Where((_, i) => i % 2 == 0), v => Assert.True(float.IsNaN(v)));
    }

    private static float[] Sigmoid(float[] z, int maxLanes)
    {
        var s = new float[z.Length];
        fixed (float* pz = z, ps = s)
        {
            var job = new SigmoidJob { Z = pz, S = ps };
            Lanes.Run(ref job, z.Length, maxLanes);
        }
        return s;
    }

    private struct SigmoidJob : ILanesJob
    {
        public float* Z, S;

        public readonly int Run<TL, TV>(int i, int end) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            for (; i + TL.Count <= end; i += TL.Count) TL.Store(S + i, Lanes.Sigmoid<TL, TV>(TL.Load(Z + i)));
            return i;
        }
    }
}
