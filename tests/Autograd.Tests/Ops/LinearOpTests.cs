using FsCheck.Fluent;
using NanoFed.Autograd;
using Xunit;

namespace NanoFed.Tests;

public class LinearOpTests
{
    [Fact]
    public void MatchesTorchWithBias() => OpCheck.AgainstTorch("linear", (t, v, fx, c) => t.Linear(v[0], v[1], v[2]), "x", "w", "b");

    [Fact]
    public void MatchesTorchWithoutBias() => OpCheck.AgainstTorch("linear_nobias", (t, v, fx, c) => t.Linear(v[0], v[1]), "x", "w");

    [Fact]
    public void GradientMatchesDifferences() => Props.Check(
        from n in Gen.Choose(1, 3)
        from inFeatures in Gen.Choose(1, 6)
        from outFeatures in Gen.Choose(1, 5)
        from bias in Gen.Elements(true, false)
        from seed in Props.Seed
        select (n, inFeatures, outFeatures, bias, seed),
        p =>
        {
            var x = OpCheck.Random(new Shape(p.n, p.inFeatures), p.seed);
            var w = OpCheck.Random(new Shape(p.outFeatures, p.inFeatures), p.seed + 1);
            if (p.bias)
                OpCheck.Gradients((t, v) => t.Linear(v[0], v[1], v[2]), x, w, OpCheck.Random(new Shape(p.outFeatures), p.seed + 2));
            else
                OpCheck.Gradients((t, v) => t.Linear(v[0], v[1]), x, w);
        });

    [Fact]
    public void WrongWeightShapeIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new Tape().Linear(OpCheck.Random(new Shape(2, 3), 0), OpCheck.Random(new Shape(4, 5), 0)));
        Assert.Contains("w [4, 5]", e.Message);
    }
}
