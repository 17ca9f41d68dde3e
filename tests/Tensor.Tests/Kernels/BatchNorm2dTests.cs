using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

[Collection(nameof(WorkerCountCollection))]
[Trait("Category", "Kernel")]
public class BatchNorm2dTests
{
    public static readonly TheoryData<int, int, int, BatchNormMode> Cases = Build();

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndBackwardMatchReference(int n, int c, int hw, BatchNormMode mode)
    {
        var fast = Run(n, c, hw, mode, reference: false);
        var slow = Run(n, c, hw, mode, reference: true);
        string what = $"N={n} C={c} HW={hw} {mode}";
        Close.Assert(slow.Y, fast.Y, what + " y");
        Close.Assert(slow.Mean, fast.Mean, what + " mean");
        Close.Assert(slow.InvStd, fast.InvStd, what + " invStd");
        Close.Assert(slow.RunningMean, fast.RunningMean, what + " running mean");
        Close.Assert(slow.RunningVar, fast.RunningVar, what + " running var");
        Close.Assert(slow.DX, fast.DX, what + " dX", atol: 1e-4);
        Close.Assert(slow.DGamma, fast.DGamma, what + " dGamma", atol: 1e-4);
        Close.Assert(slow.DBeta, fast.DBeta, what + " dBeta", atol: 1e-4);
    }

    [Theory]
    [InlineData(BatchNormMode.Train)]
    [InlineData(BatchNormMode.Eval)]
    [InlineData(BatchNormMode.BatchStatsAlways)]
    public void ResultDoesNotDependOnWorkerCount(BatchNormMode mode)
    {
        Result one = default!, two = default!;
        KernelData.WithWorkers(1, () => one = Run(37, 7, 33, mode, reference: false));
        KernelData.WithWorkers(2, () => two = Run(37, 7, 33, mode, reference: false));
        Close.Identical(one.Y, two.Y, "y");
        Close.Identical(one.RunningMean, two.RunningMean, "running mean");
        Close.Identical(one.RunningVar, two.RunningVar, "running var");
        Close.Identical(one.DX, two.DX, "dX");
        Close.Identical(one.DGamma, two.DGamma, "dGamma");
        Close.Identical(one.DBeta, two.DBeta, "dBeta");
    }

    [Theory]
    [InlineData(BatchNormMode.Train, 567566898u)]
    [InlineData(BatchNormMode.Eval, 1014375618u)]
    [InlineData(BatchNormMode.BatchStatsAlways, 66587414u)]
    public void ResultIsBitIdenticalOnEveryIsa(BatchNormMode mode, uint expected)
    {
        // The hash of every output bit, recorded on AVX-512; the ISA child runs check 256, 128 and scalar give the same bits.
        var r = Run(3, 4, 37, mode, reference: false);
        uint hash = 2166136261;
        foreach (var buffer in new[] { r.Y, r.Mean, r.InvStd, r.RunningMean, r.RunningVar, r.DX, r.DGamma, r.DBeta })
        {
            foreach (float v in buffer) hash = (hash ^ (uint)BitConverter.SingleToInt32Bits(v)) * 16777619;
        }
        Assert.Equal(expected, hash);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedReluIsBitIdenticalToTheTwoPasses(int n, int c, int hw, BatchNormMode mode)
    {
        foreach (bool overwrite in new[] { true, false })
        {
            // Unfused: batch norm, ReLU, ReLU backward into zeros, batch norm backward accumulating into dX (zero when
            // the fused call overwrites).
            var two = Inputs(n, c, hw);
            if (overwrite) Array.Clear(two.DX);
            BatchNorm2d.Forward(two.X, two.Gamma, two.Beta, two.Y, two.Mean, two.InvStd, two.Rm(mode), two.Rv(mode), n, c, hw, mode);
            var relu = new float[two.Y.Length];
            Relu.Forward(two.Y, relu);
            var masked = new float[two.Y.Length];
            Relu.Backward(relu, two.DY, masked);
            BatchNorm2d.Backward(two.X, masked, two.Gamma, two.Mean, two.InvStd, two.DX, two.DGamma, two.DBeta, n, c, hw, mode);

            // Fused, the mask from the output and from the pre-activation; when dX is overwritten its old contents (NaN)
            // must never be read.
            foreach (bool fromOutput in new[] { true, false })
            {
                var one = Inputs(n, c, hw);
                BatchNorm2d.Forward(one.X, one.Gamma, one.Beta, one.Y, one.Mean, one.InvStd, one.Rm(mode), one.Rv(mode), n, c, hw, mode, relu: true);
                if (overwrite) Array.Fill(one.DX, float.NaN);
                if (fromOutput)
                {
                    BatchNorm2d.Backward(one.X, one.DY, one.Gamma, one.Mean, one.InvStd, one.DX, one.DGamma, one.DBeta, n, c, hw, mode,
                        reluOutput: one.Y, overwrite: overwrite);
                }
                else
                {
                    BatchNorm2d.BackwardRelu(one.X, one.DY, one.Gamma, one.Beta, one.Mean, one.InvStd, one.DX, one.DGamma, one.DBeta,
                        n, c, hw, mode, overwrite);
                }

                string what = $"N={n} C={c} HW={hw} {mode} overwrite={overwrite} mask from {(fromOutput ? "output" : "x")}";
                Close.Identical(relu, one.Y, what + " y");
                Close.Identical(two.RunningMean, one.RunningMean, what + " running mean");
                Close.Identical(two.DGamma, one.DGamma, what + " dGamma");
                Close.Identical(two.DBeta, one.DBeta, what + " dBeta");
                Close.Identical(two.DX, one.DX, what + " dX");
            }
        }
    }

    [Fact]
    public void StatisticsStayAccurateFarFromZero()
    {
        // Values 1000 ± 0.01: a one-pass float variance would lose every digit.
        int n = 4, c = 1, hw = 300;
        var x = KernelData.Uniform(n * hw, 5, scale: 0.01f, offset: 1000f);
        var mean = new float[1];
        var invStd = new float[1];
        var meanRef = new float[1];
        var invStdRef = new float[1];
        float[] gamma = [1f], beta = [0f];
        BatchNorm2d.Forward(x, gamma, beta, new float[x.Length], mean, invStd, default, default, n, c, hw, BatchNormMode.BatchStatsAlways);
        BatchNorm2d.ForwardReference(x, gamma, beta, new float[x.Length], meanRef, invStdRef, default, default, n, c, hw, BatchNormMode.BatchStatsAlways);
        Close.Assert(invStdRef, invStd, "invStd", rtol: 1e-3);
    }

    [Fact]
    public void TrainingOnOneValuePerChannelIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => BatchNorm2d.Forward(new float[2], new float[2], new float[2], new float[2],
            new float[2], new float[2], new float[2], new float[2], 1, 2, 1, BatchNormMode.Train));
        Assert.Contains("more than one value", e.Message);
    }

    private sealed record Buffers(float[] X, float[] Gamma, float[] Beta, float[] DY, float[] RunningMean, float[] RunningVar,
        float[] Y, float[] Mean, float[] InvStd, float[] DX, float[] DGamma, float[] DBeta)
    {
        public Span<float> Rm(BatchNormMode mode) => mode == BatchNormMode.BatchStatsAlways ? default : RunningMean;

        public Span<float> Rv(BatchNormMode mode) => mode == BatchNormMode.BatchStatsAlways ? default : RunningVar;
    }

    /// <summary>Seeded inputs for one shape: x, parameters, dY, running statistics, and dX, dGamma, dBeta to accumulate into.</summary>
    private static Buffers Inputs(int n, int c, int hw)
    {
        int seed = n * 10000 + c * 100 + hw;
        var x = KernelData.Uniform(n * c * hw, seed, scale: 2, offset: 3);
        return new Buffers(x, KernelData.Uniform(c, seed + 1, scale: 0.5f, offset: 1), KernelData.Uniform(c, seed + 2),
            KernelData.Uniform(x.Length, seed + 3), KernelData.Uniform(c, seed + 4), KernelData.Uniform(c, seed + 5, scale: 0.4f, offset: 1),
            new float[x.Length], new float[c], new float[c],
            KernelData.Uniform(x.Length, seed + 6), KernelData.Uniform(c, seed + 7), KernelData.Uniform(c, seed + 8));
    }

    private sealed record Result(float[] Y, float[] Mean, float[] InvStd, float[] RunningMean, float[] RunningVar, float[] DX, float[] DGamma, float[] DBeta);

    private static Result Run(int n, int c, int hw, BatchNormMode mode, bool reference)
    {
        var (x, gamma, beta, dY, runningMean, runningVar, y, mean, invStd, dX, dGamma, dBeta) = Inputs(n, c, hw);
        Span<float> rm = mode == BatchNormMode.BatchStatsAlways ? default : runningMean;
        Span<float> rv = mode == BatchNormMode.BatchStatsAlways ? default : runningVar;
        if (reference)
        {
            BatchNorm2d.ForwardReference(x, gamma, beta, y, mean, invStd, rm, rv, n, c, hw, mode, 0.25f, 1e-3f);
            BatchNorm2d.BackwardReference(x, dY, gamma, mean, invStd, dX, dGamma, dBeta, n, c, hw, mode);
        }
        else
        {
            BatchNorm2d.Forward(x, gamma, beta, y, mean, invStd, rm, rv, n, c, hw, mode, 0.25f, 1e-3f);
            BatchNorm2d.Backward(x, dY, gamma, mean, invStd, dX, dGamma, dBeta, n, c, hw, mode);
        }
        return new Result(y, mean, invStd, runningMean, runningVar, dX, dGamma, dBeta);
    }

    private static TheoryData<int, int, int, BatchNormMode> Build()
    {
        var data = new TheoryData<int, int, int, BatchNormMode>();
        // The last shape has rows longer than a float block (1,024 values), which are cut into blocks.
        (int N, int C, int HW)[] shapes = [(2, 3, 1), (3, 2, 7), (1, 2, 9), (2, 3, 16), (2, 1, 17), (4, 5, 33), (2, 2, 64), (3, 1, 100), (41, 2, 49), (3, 2, 1100), (4, 3, 70000)];
        foreach (var mode in new[] { BatchNormMode.Train, BatchNormMode.Eval, BatchNormMode.BatchStatsAlways })
            foreach (var (n, c, hw) in shapes) data.Add(n, c, hw, mode);
        return data;
    }
}
