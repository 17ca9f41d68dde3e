using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

[Collection(nameof(WorkerCountCollection))]
[Trait("Category", "Kernel")]
public class EvoNormS0Tests
{
    [Theory]
    [MemberData(nameof(GroupNormTests.Cases), MemberType = typeof(GroupNormTests))]
    public void ForwardAndBackwardMatchReference(int n, int c, int hw, int groups)
    {
        var fast = Run(n, c, hw, groups, reference: false);
        var slow = Run(n, c, hw, groups, reference: true);
        string what = $"N={n} C={c} HW={hw} G={groups}";
        // The sigmoid is float (Lanes.Sigmoid) in the kernel and double in the reference: compared with a tolerance.
        Close.Assert(slow.Y, fast.Y, what + " y");
        Close.Assert(slow.Sigmoid, fast.Sigmoid, what + " sigmoid");
        Close.Assert(slow.Mean, fast.Mean, what + " mean");
        Close.Assert(slow.InvStd, fast.InvStd, what + " invStd");
        Close.Assert(slow.DX, fast.DX, what + " dX", atol: 1e-4);
        Close.Assert(slow.DV, fast.DV, what + " dV", atol: 1e-4);
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
        // The hash of every output bit, recorded on AVX2 (Vector256); the ISA child runs check 128 bits and scalar give the
        // same bits, and an AVX-512 machine its own path.
        Assert.Equal(194397064u, KernelData.Hash(Run(3, 6, 37, 3, reference: false).Buffers.Select(b => b.Values)));
    }

    [Fact]
    public void EveryLaneWidthGivesTheSameBits()
    {
        // HW = 37: every width runs its vectors and leaves a tail to the narrower ones.
        var widest = Run(3, 6, 37, 3, reference: false);
        foreach (int lanes in new[] { 16, 8, 4, 1 })
        {
            var capped = Run(3, 6, 37, 3, reference: false, lanes);
            foreach (var (a, b, name) in widest.Buffers.Zip(capped.Buffers, (a, b) => (a.Values, b.Values, a.Name)))
                Close.Identical(a, b, $"{name} at {lanes} lanes");
        }
    }

    [Fact]
    public void LargeArgumentsSaturateTheSigmoidWithoutNaN()
    {
        float[] x = [-200f, -50f, 0f, 50f, 200f, 1f];
        float[] y = new float[6], sigmoid = new float[6], mean = new float[1], invStd = new float[1];
        EvoNormS0.Forward(x, [1f], [1f], [0f], y, sigmoid, mean, invStd, 1, 1, 6, 1);
        Assert.All(y, v => Assert.True(float.IsFinite(v), $"y {v}"));
        Assert.Equal(0f, sigmoid[0]);
        Assert.Equal(1f, sigmoid[4]);
    }

    internal sealed record Result(float[] Y, float[] Sigmoid, float[] Mean, float[] InvStd, float[] DX, float[] DV, float[] DGamma, float[] DBeta)
    {
        public (float[] Values, string Name)[] Buffers =>
            [(Y, "y"), (Sigmoid, "sigmoid"), (Mean, "mean"), (InvStd, "invStd"), (DX, "dX"), (DV, "dV"), (DGamma, "dGamma"), (DBeta, "dBeta")];
    }

    /// <summary>Forward and backward on seeded inputs (seed from the shape), the gradients accumulated into seeded values.</summary>
    private static Result Run(int n, int c, int hw, int groups, bool reference, int maxLanes = int.MaxValue)
    {
        int seed = n * 10000 + c * 100 + hw;
        var x = KernelData.Uniform(n * c * hw, seed, scale: 2, offset: 0.5f);
        var v = KernelData.Uniform(c, seed + 1, scale: 1, offset: 0.5f);
        var gamma = KernelData.Uniform(c, seed + 2, scale: 0.5f, offset: 1);
        var beta = KernelData.Uniform(c, seed + 3);
        var dY = KernelData.Uniform(x.Length, seed + 4);
        float[] y = new float[x.Length], sigmoid = new float[x.Length], mean = new float[n * groups], invStd = new float[n * groups];
        var dX = KernelData.Uniform(x.Length, seed + 5);
        var dV = KernelData.Uniform(c, seed + 6);
        var dGamma = KernelData.Uniform(c, seed + 7);
        var dBeta = KernelData.Uniform(c, seed + 8);
        if (reference)
        {
            EvoNormS0.ForwardReference(x, v, gamma, beta, y, sigmoid, mean, invStd, n, c, hw, groups, 1e-3f);
            EvoNormS0.BackwardReference(x, dY, v, gamma, sigmoid, mean, invStd, dX, dV, dGamma, dBeta, n, c, hw, groups);
        }
        else
        {
            EvoNormS0.ForwardAtLanes(x, v, gamma, beta, y, sigmoid, mean, invStd, n, c, hw, groups, 1e-3f, maxLanes);
            EvoNormS0.BackwardAtLanes(x, dY, v, gamma, sigmoid, mean, invStd, dX, dV, dGamma, dBeta, n, c, hw, groups, maxLanes);
        }
        return new Result(y, sigmoid, mean, invStd, dX, dV, dGamma, dBeta);
    }
}
