using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

[Collection(nameof(WorkerCountCollection))]
[Trait("Category", "Kernel")]
public class GroupNormTests
{
    /// <summary>(N, C, H·W, G): one group, one per channel and between; runs straddling 16, 8 and 4 lanes and the 1,024-value float block.</summary>
    public static readonly TheoryData<int, int, int, int> Cases = new()
    {
        { 2, 3, 1, 1 }, { 3, 4, 7, 2 }, { 1, 2, 9, 2 }, { 2, 6, 16, 3 }, { 2, 1, 17, 1 }, { 4, 5, 33, 5 },
        { 2, 8, 64, 4 }, { 3, 2, 100, 1 }, { 5, 16, 49, 8 }, { 3, 2, 1100, 2 }, { 2, 4, 700, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndBackwardMatchReference(int n, int c, int hw, int groups)
    {
        var fast = Run(n, c, hw, groups, reference: false);
        var slow = Run(n, c, hw, groups, reference: true);
        string what = $"N={n} C={c} HW={hw} G={groups}";
        Close.Assert(slow.Y, fast.Y, what + " y");
        Close.Assert(slow.Mean, fast.Mean, what + " mean");
        Close.Assert(slow.InvStd, fast.InvStd, what + " invStd");
        Close.Assert(slow.DX, fast.DX, what + " dX", atol: 1e-4);
        Close.Assert(slow.DGamma, fast.DGamma, what + " dGamma", atol: 1e-4);
        Close.Assert(slow.DBeta, fast.DBeta, what + " dBeta", atol: 1e-4);
    }

    [Fact]
    public void ResultDoesNotDependOnWorkerCount()
    {
        Result one = default!, two = default!;
        KernelData.WithWorkers(1, () => one = Run(37, 8, 33, 4, reference: false));
        KernelData.WithWorkers(2, () => two = Run(37, 8, 33, 4, reference: false));
        foreach (var (a, b, name) in one.Buffers.Zip(two.Buffers, (a, b) => (a.Values, b.Values, a.Name))) Close.Identical(a, b, name);
    }

    [Fact]
    public void ResultIsBitIdenticalOnEveryIsa()
    {
        // The hash of every output bit, recorded on AVX-512; the ISA child runs check 256, 128 and scalar give the same bits.
        Assert.Equal(1952620418u, KernelData.Hash(Run(3, 6, 37, 3, reference: false).Buffers.Select(b => b.Values)));
    }

    [Fact]
    public void StatisticsStayAccurateFarFromZero()
    {
        // Values 1000 ± 0.01: a one-pass float variance would lose every digit.
        int n = 2, c = 2, hw = 300;
        var x = KernelData.Uniform(n * c * hw, 5, scale: 0.01f, offset: 1000f);
        float[] gamma = [1f, 1f], beta = [0f, 0f];
        float[] mean = new float[n], invStd = new float[n], meanRef = new float[n], invStdRef = new float[n];
        GroupNorm.Forward(x, gamma, beta, new float[x.Length], mean, invStd, n, c, hw, 1);
        GroupNorm.ForwardReference(x, gamma, beta, new float[x.Length], meanRef, invStdRef, n, c, hw, 1);
        Close.Assert(invStdRef, invStd, "invStd", rtol: 1e-3);
    }

    [Fact]
    public void GroupsThatDoNotDivideTheChannelsAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => GroupNorm.Forward(new float[12], new float[6], new float[6], new float[12],
            new float[8], new float[8], 2, 6, 1, 4));
        Assert.Contains("4 groups must divide C=6", e.Message);
    }

    internal sealed record Result(float[] Y, float[] Mean, float[] InvStd, float[] DX, float[] DGamma, float[] DBeta)
    {
        public (float[] Values, string Name)[] Buffers => [(Y, "y"), (Mean, "mean"), (InvStd, "invStd"), (DX, "dX"), (DGamma, "dGamma"), (DBeta, "dBeta")];
    }

    /// <summary>Forward and backward on seeded inputs (seed from the shape), the gradients accumulated into seeded values.</summary>
    private static Result Run(int n, int c, int hw, int groups, bool reference)
    {
        int seed = n * 10000 + c * 100 + hw;
        var x = KernelData.Uniform(n * c * hw, seed, scale: 2, offset: 3);
        var gamma = KernelData.Uniform(c, seed + 1, scale: 0.5f, offset: 1);
        var beta = KernelData.Uniform(c, seed + 2);
        var dY = KernelData.Uniform(x.Length, seed + 3);
        float[] y = new float[x.Length], mean = new float[n * groups], invStd = new float[n * groups];
        var dX = KernelData.Uniform(x.Length, seed + 4);
        var dGamma = KernelData.Uniform(c, seed + 5);
        var dBeta = KernelData.Uniform(c, seed + 6);
        if (reference)
        {
            GroupNorm.ForwardReference(x, gamma, beta, y, mean, invStd, n, c, hw, groups, 1e-3f);
            GroupNorm.BackwardReference(x, dY, gamma, mean, invStd, dX, dGamma, dBeta, n, c, hw, groups);
        }
        else
        {
            GroupNorm.Forward(x, gamma, beta, y, mean, invStd, n, c, hw, groups, 1e-3f);
            GroupNorm.Backward(x, dY, gamma, mean, invStd, dX, dGamma, dBeta, n, c, hw, groups);
        }
        return new Result(y, mean, invStd, dX, dGamma, dBeta);
    }
}
