using FsCheck;
using FsCheck.Fluent;
using NanoFed.Autograd;
using Xunit;

namespace NanoFed.Tests;

public class MaxPool2dOpTests
{
    [Fact]
    public void MatchesTorch() =>
        OpCheck.AgainstTorch("maxpool2d", (tape, v, fx, c) =>
            tape.MaxPool2d(v[0], fx.MetaInt(c, "kernel"), fx.MetaInt(c, "stride"), fx.MetaInt(c, "padding")), "x");

    /// <summary>Random small pooling geometries: (N, C, H, W, kernel, stride, padding, seed); padding at most half the window.</summary>
    internal static readonly Gen<(int N, int C, int H, int W, int Kernel, int Stride, int Pad, int Seed)> Small =
        from n in Gen.Choose(1, 2)
        from c in Gen.Choose(1, 3)
        from h in Gen.Choose(3, 7)
        from w in Gen.Choose(3, 7)
        from kernel in Gen.Choose(1, 3)
        from stride in Gen.Choose(1, 3)
        from pad in Gen.Choose(0, kernel / 2)
        from seed in Gen.Choose(0, 1000)
        select (n, c, h, w, kernel, stride, pad, seed);

    /// <summary>Distinct values 0.05 apart in random order, so no window has a tie within the finite-difference step.</summary>
    internal static Variable Distinct(Shape shape, int seed)
    {
        var rng = new Random(seed);
        var v = new float[shape.Length];
        for (int i = 0; i < v.Length; i++) v[i] = (i - v.Length / 2) * 0.05f;
        rng.Shuffle(v);
        return new Variable(Tensor.FromArray(v, shape), requiresGrad: true);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences() =>
        Prop.ForAll(Arb.From(Small), g =>
        {
            var x = Distinct(new Shape(g.N, g.C, g.H, g.W), g.Seed);
            OpCheck.Gradients((tape, v) => tape.MaxPool2d(v[0], g.Kernel, g.Stride, g.Pad), [x], g.Seed);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(20));

    [Fact]
    public void NoGradientWorkWithoutRecording()
    {
        var tape = new Tape();
        var x = OpCheck.Random(new Shape(1, 2, 4, 4), 0, requiresGrad: false);
        var y = tape.MaxPool2d(x, 2, 2);
        Assert.Equal(new Shape(1, 2, 2, 2), y.Shape);
        Assert.Equal(0, tape.Count);
    }
}
