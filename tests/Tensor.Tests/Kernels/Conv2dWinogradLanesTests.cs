using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NanoFed.Kernels;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests;

/// <summary>Winograd F(2×2, 3×3) with images in the vector lanes (Conv2d.WinogradLanes.cs), through Conv2d.Forward, against the reference.</summary>
[Collection(nameof(WorkerCountCollection))]
public unsafe class Conv2dWinogradLanesTests
{
    /// <summary>
    /// (N, C, H, W, K): whole groups of 16 and a partial last group, K a multiple of the kernel's 8 filters and not,
    /// tile counts that leave 1 and 2 tiles in the last block of 3, planes of one vector row (2×8) to 16×16, more than
    /// 128 channels.
    /// </summary>
    public static TheoryData<int, int, int, int, int> Shapes => new()
    {
        { 32, 16, 8, 8, 16 },
        { 35, 24, 4, 8, 20 },
        { 48, 64, 8, 8, 64 },
        { 33, 136, 16, 16, 32 },
        { 40, 17, 2, 8, 30 },
        { 32, 136, 4, 4, 24 },
    };

    /// <summary>Whether this process runs the lanes path: AVX-512, or AVX2 with FMA (two Vector256 halves per row).</summary>
    private static bool LanesAvailable =>
        Vector512.IsHardwareAccelerated || Avx2.IsSupported && Fma.IsSupported && Vector256.IsHardwareAccelerated;

    [Theory]
    [Trait("Category", "Kernel")]
    [MemberData(nameof(Shapes))]
    public void OutputModesMatchReference(int n, int c, int h, int w, int k)
    {
        var g = Conv2dGeometry.Create(n, c, h, w, k, 3, 3, 1, 1);
        Assert.Equal(LanesAvailable, Conv2d.Plan(g).Forward == "winograd-lanes");
        var rng = new Random(g.XLength + k);
        float[] x = Conv2dTests.Values(rng, g.XLength), wt = Conv2dTests.Values(rng, g.WLength), b = Conv2dTests.Values(rng, k);
        float[] expected = new float[g.YLength], actual = new float[g.YLength];
        Conv2d.ForwardReference(x, wt, b, expected, g);
        Conv2d.Forward(x, wt, b, actual, g);
        Close.Assert(expected, actual, $"lanes {g} bias", atol: 1e-4);

        Relu.Forward(actual, expected);
        Array.Fill(actual, float.NaN);
        Conv2d.Forward(x, wt, b, actual, g, relu: true);
        Close.Identical(expected, actual, $"lanes {g} relu");

    }

    /// <summary>
    /// Backward-data of the convolution with C and K swapped runs as this forward with flipped filters, adding into
    /// dX (the accumulate mode) or overwriting it.
    /// </summary>
    [Theory]
    [Trait("Category", "Kernel")]
    [MemberData(nameof(Shapes))]
    public void BackwardDataThroughItMatchesReference(int n, int c, int h, int w, int k)
    {
        var g = Conv2dGeometry.Create(n, k, h, w, c, 3, 3, 1, 1);
        var rng = new Random(g.YLength + c);
        float[] dY = Conv2dTests.Values(rng, g.YLength), wt = Conv2dTests.Values(rng, g.WLength), dX0 = Conv2dTests.Values(rng, g.XLength);
        float[] expected = (float[])dX0.Clone(), actual = (float[])dX0.Clone();
        Conv2d.BackwardDataReference(dY, wt, expected, g);
        Conv2d.BackwardData(dY, wt, actual, g);
        Close.Assert(expected, actual, $"lanes backward-data {g} accumulating", atol: 1e-4);
        Array.Clear(expected);
        Conv2d.BackwardDataReference(dY, wt, expected, g);
        Array.Fill(actual, float.NaN);
        Conv2d.BackwardData(dY, wt, actual, g, overwrite: true);
        Close.Assert(expected, actual, $"lanes backward-data {g} overwriting", atol: 1e-4);
    }

    [Theory]
    [Trait("Category", "Kernel")]
    [InlineData(35, 24, 8, 8, 20)]
    [InlineData(64, 32, 16, 16, 32)]
    public void OneAndTwoThreadsGiveIdenticalBits(int n, int c, int h, int w, int k)
    {
        var g = Conv2dGeometry.Create(n, c, h, w, k, 3, 3, 1, 1);
        var rng = new Random(g.XLength);
        float[] x = Conv2dTests.Values(rng, g.XLength), wt = Conv2dTests.Values(rng, g.WLength);
        float[] one = new float[g.YLength], two = new float[g.YLength];
        int saved = Workers.Count;
        try
        {
            Workers.Count = 1;
            Conv2d.Forward(x, wt, [], one, g);
            Workers.Count = 2;
            Conv2d.Forward(x, wt, [], two, g);
        }
        finally
        {
            Workers.Count = saved;
        }
        Close.Identical(one, two, $"lanes {g} one vs two threads");
    }

    [Fact]
    [Trait("Category", "Kernel")]
    public void Transpose16x16TransposesInRegisters()
    {
        Assert.SkipUnless(Vector512.IsHardwareAccelerated, "the transpose runs on AVX-512 only");
        var values = KernelData.Uniform(256, 7);
        var r = stackalloc Vector512<float>[16];
        fixed (float* p = values)
            for (int i = 0; i < 16; i++) r[i] = Vector512.Load(p + 16 * i);
        Conv2d.Transpose16x16(r);
        for (int i = 0; i < 16; i++)
            for (int j = 0; j < 16; j++) Assert.Equal(values[16 * j + i], r[i][j]);
    }

    /// <summary>The AVX2 transpose: 16 rows as 32 halves (r[2i + h] = columns 8h..8h+7 of row i), in place.</summary>
    [Fact]
    [Trait("Category", "Kernel")]
    public void Transpose16x16OfHalvesTransposes()
    {
        Assert.SkipUnless(Avx.IsSupported, "the transpose of halves runs on AVX2");
        var values = KernelData.Uniform(256, 8);
        var r = stackalloc Vector256<float>[32];
        fixed (float* p = values)
            for (int i = 0; i < 32; i++) r[i] = Vector256.Load(p + 8 * i);
        Conv2d.Transpose16x16(r);
        for (int i = 0; i < 16; i++)
            for (int j = 0; j < 16; j++) Assert.Equal(values[16 * j + i], r[2 * i + j / 8][j % 8]);
    }
}
