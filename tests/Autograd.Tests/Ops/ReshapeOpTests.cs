using FsCheck;
using FsCheck.Fluent;
using NanoFed.Autograd;
using Xunit;

namespace NanoFed.Tests;

public class ReshapeOpTests
{
    [Fact]
    public void ReshapeAndFlattenMatchTorch() =>
        OpCheck.AgainstTorch("reshape", (t, v, fx, c) => c.StartsWith('f') ? t.Flatten(v[0]) : t.Reshape(v[0], fx.Tensor($"{c}.out").Shape), "x");

    [Fact]
    public void GradientsMatchFiniteDifferences() =>
        Prop.ForAll(Arb.From(from a in Gen.Choose(1, 3) from b in Gen.Choose(1, 3) from d in Gen.Choose(1, 4) from seed in Gen.Choose(0, 1000) select (a, b, d, seed)), s =>
        {
            var x = OpCheck.Random(new Shape(s.a, s.b, s.d), s.seed);
            OpCheck.Gradients((t, v) => t.Reshape(v[0], new Shape(s.a * s.d, s.b)), [x], s.seed);
            OpCheck.Gradients((t, v) => t.Flatten(v[0]), [x], s.seed);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void IsAViewWithoutCopy()
    {
        var tape = new Tape();
        var x = OpCheck.Random(new Shape(2, 3, 4), 1);
        var y = tape.Flatten(x);
        Assert.Equal(new Shape(2, 12), y.Shape);
        Assert.Same(x.Data.Array, y.Data.Array);
        Assert.Equal(x.Data.Offset, y.Data.Offset);
        Assert.Throws<ArgumentException>(() => tape.Reshape(x, new Shape(5, 5)));
        tape.Reset();
    }
}
