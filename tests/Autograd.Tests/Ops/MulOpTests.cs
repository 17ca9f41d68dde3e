using FsCheck.Fluent;
using NanoFed.Autograd;
using Xunit;

namespace NanoFed.Tests;

public class MulOpTests
{
    [Fact]
    public void MatchesTorch() => OpCheck.AgainstTorch("mul", (t, v, fx, c) => t.Mul(v[0], v[1]), "a", "b");

    [Fact]
    public void GradientMatchesDifferences() => Props.Check(
        from rows in Gen.Choose(1, 4)
        from cols in Gen.Choose(1, 9)
        from seed in Props.Seed
        select (rows, cols, seed),
        p => OpCheck.Gradients((t, v) => t.Mul(v[0], v[1]),
            OpCheck.Random(new Shape(p.rows, p.cols), p.seed), OpCheck.Random(new Shape(p.rows, p.cols), p.seed + 1)));

    [Fact]
    public void SquareHasGradientTwoX() =>
        OpCheck.Gradients((t, v) => t.Mul(v[0], v[0]), OpCheck.Random(new Shape(7), 2));

    [Fact]
    public void NoGradientFlowsToAFrozenInput()
    {
        var tape = new Tape();
        var a = OpCheck.Random(new Shape(4), 1);
        var b = OpCheck.Random(new Shape(4), 2, requiresGrad: false);
        var y = tape.Mul(a, b);
        using var g = Tensor.Full(new Shape(4), 1f);
        tape.Backward(y, g);
        Assert.Null(b.Grad);
        Close.Assert(b.Data.Span, a.Grad!.Span, "dA = b");
    }
}
