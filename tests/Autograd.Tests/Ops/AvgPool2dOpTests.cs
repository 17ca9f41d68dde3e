using FsCheck;
using FsCheck.Fluent;
using NanoFed.Autograd;
using Xunit;

namespace NanoFed.Tests;

public class AvgPool2dOpTests
{
    [Fact]
    public void MatchesTorch() =>
        OpCheck.AgainstTorch("avgpool2d", (tape, v, fx, c) =>
            tape.AvgPool2d(v[0], fx.MetaInt(c, "kernel"), fx.MetaInt(c, "stride"), fx.MetaInt(c, "padding")), "x");

    [Fact]
    public void GradientsMatchFiniteDifferences() =>
        Prop.ForAll(Arb.From(MaxPool2dOpTests.Small), g =>
        {
            var x = OpCheck.Random(new Shape(g.N, g.C, g.H, g.W), g.Seed);
            OpCheck.Gradients((tape, v) => tape.AvgPool2d(v[0], g.Kernel, g.Stride, g.Pad), [x], g.Seed);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(20));
}
