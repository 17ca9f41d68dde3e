using FsCheck.Fluent;
using NanoFed.Autograd;
using Xunit;

namespace NanoFed.Tests;

public class EvoNormS0OpTests
{
    [Fact]
    public void MatchesTorch() => OpCheck.AgainstTorch("evonorm", (t, v, fx, c) =>
        t.EvoNormS0(v[0], v[1], v[2], v[3], fx.MetaInt(c, "groups"), fx.MetaFloat(c, "eps")), "x", "v", "gamma", "beta");

    [Fact]
    public void GradientMatchesDifferences() => Props.Check(
        from shape in NormShapes.Generator
        from seed in Props.Seed
        select (shape, seed),
        p =>
        {
            var (n, c, h, w, g) = p.shape;
            // A group of two values has std |a − b| / 2: where a ≈ b the gradient reaches hundreds and float32 central
            // differences miss it by percents (a (3, 1, 1, 2) input failed so). Such groups are left to the PyTorch fixture.
            if (c / g * h * w < 4) return;
            var x = OpCheck.Random(new Shape(n, c, h, w), p.seed, lo: -2, hi: 2);
            var v = OpCheck.Random(new Shape(1, c, 1, 1), p.seed + 1, lo: -0.5f, hi: 1.5f);
            var gamma = OpCheck.Random(new Shape(1, c, 1, 1), p.seed + 2, lo: 0.5f, hi: 1.5f);
            var beta = OpCheck.Random(new Shape(1, c, 1, 1), p.seed + 3);
            OpCheck.Gradients((t, a) => t.EvoNormS0(a[0], a[1], a[2], a[3], g), [x, v, gamma, beta], seed: p.seed, atol: 5e-3);
        }, maxTest: 10);

    [Fact]
    public void ParametersOfTheWrongLengthAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new Tape().EvoNormS0(OpCheck.Random(new Shape(2, 4, 2, 2), 0),
            OpCheck.Random(new Shape(3), 0), OpCheck.Random(new Shape(4), 0), OpCheck.Random(new Shape(4), 0), 2));
        Assert.Contains("v of 4", e.Message);
    }
}
