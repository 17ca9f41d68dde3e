using NanoFed.Kernels;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests;

/// <summary>The direct 3×3 kernel (Conv2d.Direct.cs): every tail width of its 48-position blocks, on the ISA at hand.</summary>
[Collection(nameof(WorkerCountCollection))]
public class Conv2dDirectTests
{
    /// <summary>
    /// (N, C, H, W, K, stride): flat lengths H·(W+1) (stride 1) or P·(Q+1) (stride 2) whose last block holds 1-8,
    /// 9-16, 17-24, 25-32, 33-40, 41-47 and 48 positions (3×3: 12; 5×5: 30; 6×6: 42; 4×11: 48; 7×7: 56; 8×8: 72;
    /// 9×9: 90; 10×13: 140; stride 2 on 14×14: 56), K a multiple of 8 and not.
    /// </summary>
    public static TheoryData<int, int, int, int, int, int> Shapes => new()
    {
        { 2, 5, 3, 3, 8, 1 },
        { 3, 9, 5, 5, 12, 1 },
        { 2, 15, 6, 6, 16, 1 },
        { 2, 7, 4, 11, 9, 1 },
        { 3, 4, 7, 7, 17, 1 },
        { 2, 12, 8, 8, 8, 1 },
        { 2, 6, 9, 9, 5, 1 },
        { 2, 3, 10, 13, 24, 1 },
        { 2, 8, 14, 14, 16, 2 },
    };

    /// <summary>
    /// Forward matches the reference, and with a bias its bits are those of one FMA chain per output over (c, r, s)
    /// from zero (zero taps in the border included) plus the bias: the order every vector width keeps.
    /// </summary>
    [Theory]
    [Trait("Category", "Kernel")]
    [MemberData(nameof(Shapes))]
    public void ForwardIsTheFmaChainOfTheReference(int n, int c, int h, int w, int k, int stride)
    {
        var g = Conv2dGeometry.Create(n, c, h, w, k, 3, 3, stride, 1);
        var rng = new Random(g.XLength + k);
        float[] x = Conv2dTests.Values(rng, g.XLength), wt = Conv2dTests.Values(rng, g.WLength), b = Conv2dTests.Values(rng, k);
        float[] expected = new float[g.YLength], actual = new float[g.YLength];
        Conv2d.ForwardReference(x, wt, b, expected, g);
        Conv2d.Forward(x, wt, b, actual, g);
        Close.Assert(expected, actual, $"direct {g}", atol: 1e-4);
        if (stride == 1 && Conv2d.Plan(g).Forward == "direct") Close.Identical(FmaChain(x, wt, b, g), actual, $"direct {g} against the FMA chain");
    }

    [Theory]
    [Trait("Category", "Kernel")]
    [MemberData(nameof(Shapes))]
    public void BackwardDataMatchesReference(int n, int c, int h, int w, int k, int stride)
    {
        var g = Conv2dGeometry.Create(n, c, h, w, k, 3, 3, stride, 1);
        var rng = new Random(g.YLength + c);
        float[] dY = Conv2dTests.Values(rng, g.YLength), wt = Conv2dTests.Values(rng, g.WLength), expected = Conv2dTests.Values(rng, g.XLength);
        float[] actual = (float[])expected.Clone();
        Conv2d.BackwardDataReference(dY, wt, expected, g);
        Conv2d.BackwardData(dY, wt, actual, g);
        Close.Assert(expected, actual, $"direct backward-data {g}", atol: 1e-4);
    }

    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(5, 9, 5, 5, 12, 1)]
    [InlineData(4, 16, 8, 8, 24, 1)]
    [InlineData(3, 8, 14, 14, 16, 2)]
    public void OneAndTwoThreadsGiveIdenticalBits(int n, int c, int h, int w, int k, int stride)
    {
        var g = Conv2dGeometry.Create(n, c, h, w, k, 3, 3, stride, 1);
        var rng = new Random(g.XLength);
        float[] x = Conv2dTests.Values(rng, g.XLength), wt = Conv2dTests.Values(rng, g.WLength), dY = Conv2dTests.Values(rng, g.YLength);
        int saved = Workers.Count;
        try
        {
            Workers.Count = 1;
            float[] y1 = new float[g.YLength], dX1 = new float[g.XLength];
            Conv2d.Forward(x, wt, [], y1, g, relu: true);
            Conv2d.BackwardData(dY, wt, dX1, g, overwrite: true);
            Workers.Count = 2;
            float[] y2 = new float[g.YLength], dX2 = new float[g.XLength];
            Conv2d.Forward(x, wt, [], y2, g, relu: true);
            Conv2d.BackwardData(dY, wt, dX2, g, overwrite: true);
            Close.Identical(y1, y2, $"direct {g} forward, one vs two threads");
            Close.Identical(dX1, dX2, $"direct {g} backward-data, one vs two threads");
        }
        finally
        {
            Workers.Count = saved;
        }
    }

    /// <summary>y[n, k, p, q] = fma chain over (c, r, s) of x (zero outside) · w from 0, then + bias; stride 1, pad 1.</summary>
    private static float[] FmaChain(float[] x, float[] w, float[] b, in Conv2dGeometry g)
    {
        var y = new float[g.YLength];
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
                for (int p = 0; p < g.P; p++)
                    for (int q = 0; q < g.Q; q++)
                    {
                        float acc = 0;
                        for (int c = 0; c < g.C; c++)
                            for (int r = 0; r < 3; r++)
                                for (int s = 0; s < 3; s++)
                                {
                                    int i = p + r - 1, j = q + s - 1;
                                    float v = i >= 0 && i < g.H && j >= 0 && j < g.W ? x[((n * g.C + c) * g.H + i) * g.W + j] : 0f;
                                    acc = MathF.FusedMultiplyAdd(v, w[((k * g.C + c) * 3 + r) * 3 + s], acc);
                                }
                        y[((n * g.K + k) * g.P + p) * g.Q + q] = acc + b[k];
                    }
        return y;
    }
}
