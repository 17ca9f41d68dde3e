using FsCheck.Fluent;
using NanoFed.Autograd;
using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

public class BatchNorm2dOpTests
{
    [Fact]
    public void MatchesTorchInEveryModeIncludingRunningStatistics() => OpCheck.AgainstTorch("batchnorm", (t, v, fx, c) =>
    {
        var mode = (BatchNormMode)fx.MetaInt(c, "mode");
        var runningMean = fx.Tensor($"{c}.rm");
        var runningVar = fx.Tensor($"{c}.rv");
        bool running = mode != BatchNormMode.BatchStatsAlways;
        var y = t.BatchNorm2d(v[0], v[1], v[2], running ? runningMean : null, running ? runningVar : null, mode,
            fx.MetaFloat(c, "momentum"), fx.MetaFloat(c, "eps"));
        if (mode == BatchNormMode.Train)
        {
            Close.Assert(fx.Values($"{c}.rm_out"), runningMean.Span, $"{c} running mean");
            Close.Assert(fx.Values($"{c}.rv_out"), runningVar.Span, $"{c} running var");
        }
        else
        {
            Close.Identical(fx.Values($"{c}.rm"), runningMean.Span, $"{c} running mean untouched");
            Close.Identical(fx.Values($"{c}.rv"), runningVar.Span, $"{c} running var untouched");
        }
        return y;
    }, "x", "gamma", "beta");

    [Fact]
    public void GradientMatchesDifferences() => Props.Check(
        from n in Gen.Choose(2, 3)
        from c in Gen.Choose(1, 3)
        from h in Gen.Choose(1, 3)
        from w in Gen.Choose(2, 3)
        from mode in Gen.Elements(BatchNormMode.Train, BatchNormMode.Eval, BatchNormMode.BatchStatsAlways)
        from seed in Props.Seed
        select (n, c, h, w, mode, seed),
        p =>
        {
            var x = OpCheck.Random(new Shape(p.n, p.c, p.h, p.w), p.seed, lo: -2, hi: 2);
            var gamma = OpCheck.Random(new Shape(p.c), p.seed + 1, lo: 0.5f, hi: 1.5f);
            var beta = OpCheck.Random(new Shape(p.c), p.seed + 2);
            var runningMean = Tensor.Full(new Shape(p.c), 0.1f);
            var runningVar = Tensor.Full(new Shape(p.c), 0.8f);
            bool running = p.mode != BatchNormMode.BatchStatsAlways;
            OpCheck.Gradients((t, v) => t.BatchNorm2d(v[0], v[1], v[2], running ? runningMean : null, running ? runningVar : null, p.mode),
                [x, gamma, beta], seed: p.seed, atol: 5e-3);
        }, maxTest: 10);

    [Fact]
    public void TrainModeUpdatesRunningStatisticsWithoutRecordingUnderNoGrad()
    {
        var tape = new Tape();
        var x = OpCheck.Random(new Shape(2, 2, 3, 3), 1);
        var gamma = OpCheck.Random(new Shape(2), 2);
        var beta = OpCheck.Random(new Shape(2), 3);
        var runningMean = Tensor.Zeros(new Shape(2));
        var runningVar = Tensor.Full(new Shape(2), 1f);
        using (tape.NoGrad()) tape.BatchNorm2d(x, gamma, beta, runningMean, runningVar, BatchNormMode.Train);
        Assert.Equal(0, tape.Count);
        Assert.NotEqual(0f, runningMean.Span[0]);
        Assert.NotEqual(1f, runningVar.Span[1]);
    }

    [Fact]
    public void EvalModeWithoutRunningStatisticsIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new Tape().BatchNorm2d(OpCheck.Random(new Shape(2, 1, 2, 2), 0),
            OpCheck.Random(new Shape(1), 0), OpCheck.Random(new Shape(1), 0), null, null, BatchNormMode.Eval));
        Assert.Contains("Eval", e.Message);
    }
}
