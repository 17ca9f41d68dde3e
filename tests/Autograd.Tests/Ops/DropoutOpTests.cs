using FsCheck;
using FsCheck.Fluent;
using NanoFed.Autograd;
using Xunit;

namespace NanoFed.Tests;

public class DropoutOpTests
{
    [Fact]
    public void MatchesTorchForAGivenMask() =>
        OpCheck.AgainstTorch("dropout", (t, v, fx, c) => t.DropoutWithMask(v[0], fx.Tensor($"{c}.keep"), fx.MetaFloat(c, "p")), "x");

    [Fact]
    public void GradientsMatchFiniteDifferences() =>
        Prop.ForAll(Arb.From(from n in Gen.Choose(1, 4) from d in Gen.Choose(1, 6) from seed in Gen.Choose(0, 1000) select (n, d, seed)), s =>
        {
            var x = OpCheck.Random(new Shape(s.n, s.d), s.seed);
            // A fresh stream at the same position each call, so every probe sees the same mask.
            OpCheck.Gradients((t, v) => t.Dropout(v[0], 0.4f, new RngStream((ulong)s.seed, 1), training: true), [x], s.seed);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void IsTheIdentityWhenNotTrainingOrPZero()
    {
        var tape = new Tape();
        var x = OpCheck.Random(new Shape(3, 4), 1);
        var rng = new RngStream(1, 1);
        Assert.Same(x, tape.Dropout(x, 0.5f, rng, training: false));
        Assert.Same(x, tape.Dropout(x, 0f, rng, training: true));
        Assert.Equal(0UL, rng.Position);
        Assert.Throws<ArgumentOutOfRangeException>(() => tape.Dropout(x, -0.1f, rng, training: false));
    }

    [Fact]
    public void KeepsTheExpectedFractionAndReproduces()
    {
        var tape = new Tape();
        var x = new Variable(Tensor.Full(new Shape(200, 500), 2f), requiresGrad: true);
        var y1 = tape.Dropout(x, 0.3f, new RngStream(7, 3), training: true).Data.ToArray();
        var y2 = tape.Dropout(x, 0.3f, new RngStream(7, 3), training: true).Data.ToArray();
        var y3 = tape.Dropout(x, 0.3f, new RngStream(7, 4), training: true).Data.ToArray();
        Close.Identical(y1, y2, "same stream");
        Assert.NotEqual(y1, y3);
        int kept = y1.Count(v => v != 0);
        Assert.InRange(kept, 70_000 - 1000, 70_000 + 1000);
        Assert.All(y1, v => Assert.True(v == 0 || v == 2f * (1 / 0.7f)));
        // Backward passes the gradient through the kept elements with the same scale.
        var y = tape.Dropout(x, 0.3f, new RngStream(7, 3), training: true);
        tape.Backward(y, Tensor.Full(y.Shape, 1f));
        var g = x.Grad!.ToArray();
        for (int i = 0; i < g.Length; i++) Assert.Equal(y1[i] / 2f, g[i]);
    }
}
