using FsCheck;
using FsCheck.Fluent;
using NanoFed.Autograd;
using Xunit;

namespace NanoFed.Tests;

// Alone: one test counts allocated bytes, and a test beside it could take its pooled buffers.
[Collection(nameof(AllocationCollection))]
public class Conv2dOpTests
{
    [Fact]
    public void MatchesTorchWithBias() =>
        OpCheck.AgainstTorch("conv2d_bias", (tape, v, fx, c) => Conv(tape, v[0], v[1], v[2], fx, c), "x", "w", "b");

    [Fact]
    public void MatchesTorchWithoutBias() =>
        OpCheck.AgainstTorch("conv2d", (tape, v, fx, c) => Conv(tape, v[0], v[1], null, fx, c), "x", "w");

    private static Variable Conv(Tape tape, Variable x, Variable w, Variable? b, Fixture fx, string c) =>
        tape.Conv2d(x, w, b, fx.MetaInt(c, "stride_h"), fx.MetaInt(c, "stride_w"), fx.MetaInt(c, "pad_h"), fx.MetaInt(c, "pad_w"));

    /// <summary>Random small geometries: (N, C, H, W, K, R, S, stride, padding, bias, seed).</summary>
    private static readonly Gen<(int N, int C, int H, int W, int K, int R, int S, int Stride, int Pad, bool Bias, int Seed)> Small =
        from n in Gen.Choose(1, 2)
        from c in Gen.Choose(1, 3)
        from h in Gen.Choose(3, 6)
        from w in Gen.Choose(3, 6)
        from k in Gen.Choose(1, 3)
        from r in Gen.Choose(1, 3)
        from s in Gen.Choose(1, 3)
        from stride in Gen.Choose(1, 2)
        from pad in Gen.Choose(0, 1)
        from bias in Gen.Elements(true, false)
        from seed in Gen.Choose(0, 1000)
        select (n, c, h, w, k, r, s, stride, pad, bias, seed);

    [Fact]
    public void GradientsMatchFiniteDifferences() =>
        Prop.ForAll(Arb.From(Small), g =>
        {
            var x = OpCheck.Random(new Shape(g.N, g.C, g.H, g.W), g.Seed);
            var w = OpCheck.Random(new Shape(g.K, g.C, g.R, g.S), g.Seed + 1);
            var b = OpCheck.Random(new Shape(g.K), g.Seed + 2);
            Variable[] inputs = g.Bias ? [x, w, b] : [x, w];
            OpCheck.Gradients((tape, v) => tape.Conv2d(v[0], v[1], v.Length > 2 ? v[2] : null, g.Stride, g.Pad), inputs, g.Seed);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(12));

    [Fact]
    public void FrozenWeightsGetNoGradientButTheInputDoes()
    {
        var x = OpCheck.Random(new Shape(2, 3, 5, 5), 1);
        var w = OpCheck.Random(new Shape(4, 3, 3, 3), 2, requiresGrad: false);
        var b = OpCheck.Random(new Shape(4), 3, requiresGrad: false);
        OpCheck.Gradients((tape, v) => tape.Conv2d(v[0], v[1], v[2], 1, 1), x, w, b);
        Assert.Null(w.Grad);
        Assert.Null(b.Grad);
        Assert.NotNull(x.Grad);
    }

    [Fact]
    public void InputWithoutGradientStillGivesWeightGradients()
    {
        var x = OpCheck.Random(new Shape(3, 2, 6, 6), 4, requiresGrad: false);
        var w = OpCheck.Random(new Shape(3, 2, 3, 3), 5);
        var b = OpCheck.Random(new Shape(3), 6);
        OpCheck.Gradients((tape, v) => tape.Conv2d(v[0], v[1], v[2], 2, 1), x, w, b);
        Assert.Null(x.Grad);
        Assert.NotNull(w.Grad);
    }

    [Fact]
    public void ATrainingStepAllocatesNothingInSteadyState()
    {
        var x = OpCheck.Random(new Shape(2, 3, 8, 8), 7);
        var w = OpCheck.Random(new Shape(4, 3, 3, 3), 8);
        var b = OpCheck.Random(new Shape(4), 9);
        var tape = new Tape();
        using var seed = Tensor.Full(new Shape(2, 4), 1f);
        void Step()
        {
            var y = tape.Conv2d(x, w, b, 1, 1);
            y = tape.MaxPool2d(y, 2, 2);
            y = tape.AvgPool2d(y, 3, 1, 1);
            tape.Backward(tape.GlobalAvgPool(y), seed);
            tape.Reset();
        }
        Step();
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void MismatchedChannelsAreRejected()
    {
        var tape = new Tape();
        var x = OpCheck.Random(new Shape(1, 3, 4, 4), 0);
        var w = OpCheck.Random(new Shape(2, 4, 3, 3), 0);
        var e = Assert.Throws<ArgumentException>(() => tape.Conv2d(x, w, null));
        Assert.Contains("[1, 3, 4, 4]", e.Message);
    }
}
