using FsCheck.Fluent;
using NanoFed.Autograd;
using Xunit;

namespace NanoFed.Tests;

public class AddOpTests
{
    [Fact]
    public void MatchesTorch() => OpCheck.AgainstTorch("add", (t, v, fx, c) => t.Add(v[0], v[1]), "a", "b");

    [Fact]
    public void GradientMatchesDifferences() => Props.Check(
        from rows in Gen.Choose(1, 4)
        from cols in Gen.Choose(1, 9)
        from seed in Props.Seed
        select (rows, cols, seed),
        p => OpCheck.Gradients((t, v) => t.Add(v[0], v[1]),
            OpCheck.Random(new Shape(p.rows, p.cols), p.seed), OpCheck.Random(new Shape(p.rows, p.cols), p.seed + 1)));

    [Fact]
    public void SameVariableTwiceGetsTwiceTheGradient() =>
        OpCheck.Gradients((t, v) => t.Add(v[0], v[0]), OpCheck.Random(new Shape(5), 1));

    [Fact]
    public void ShapeMismatchIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new Tape().Add(OpCheck.Random(new Shape(2, 3), 0), OpCheck.Random(new Shape(3, 2), 0)));
        Assert.Contains("[2, 3]", e.Message);
    }
}
