using FsCheck;
using FsCheck.Fluent;
using NanoFed.Autograd;
using Xunit;

namespace NanoFed.Tests;

public class GlobalAvgPoolOpTests
{
    [Fact]
    public void MatchesTorch() => OpCheck.AgainstTorch("globalavgpool", (tape, v, fx, c) => tape.GlobalAvgPool(v[0]), "x");

    [Fact]
    public void GradientsMatchFiniteDifferences() =>
        Prop.ForAll(Arb.From(MaxPool2dOpTests.Small), g =>
        {
            var x = OpCheck.Random(new Shape(g.N, g.C, g.H, g.W), g.Seed);
            OpCheck.Gradients((tape, v) => tape.GlobalAvgPool(v[0]), [x], g.Seed);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(10));

    [Fact]
    public void OutputIsNByC()
    {
        var tape = new Tape();
        var y = tape.GlobalAvgPool(OpCheck.Random(new Shape(3, 5, 2, 4), 0));
        Assert.Equal(new Shape(3, 5), y.Shape);
    }
}
