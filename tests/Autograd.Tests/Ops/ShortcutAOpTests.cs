using FsCheck;
using FsCheck.Fluent;
using NanoFed.Autograd;
using Xunit;

namespace NanoFed.Tests;

public class ShortcutAOpTests
{
    [Fact]
    public void MatchesTorch() =>
        OpCheck.AgainstTorch("shortcut", (t, v, fx, c) => t.ShortcutA(v[0], fx.MetaInt(c, "k")), "x");

    [Fact]
    public void GradientsMatchFiniteDifferences() =>
        Prop.ForAll(Arb.From(
            from n in Gen.Choose(1, 2) from c in Gen.Choose(1, 3) from h in Gen.Choose(1, 5) from w in Gen.Choose(1, 5)
            from pad in Gen.Choose(0, 2) from seed in Gen.Choose(0, 1000) select (n, c, h, w, pad, seed)), s =>
        {
            var x = OpCheck.Random(new Shape(s.n, s.c, s.h, s.w), s.seed);
            OpCheck.Gradients((t, v) => t.ShortcutA(v[0], s.c + 2 * s.pad), [x], s.seed);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void RejectsBadChannelCounts()
    {
        var tape = new Tape();
        var x = OpCheck.Random(new Shape(1, 4, 2, 2), 1);
        Assert.Throws<ArgumentException>(() => tape.ShortcutA(x, 5));
        Assert.Throws<ArgumentException>(() => tape.ShortcutA(x, 2));
        Assert.Throws<ArgumentException>(() => tape.ShortcutA(OpCheck.Random(new Shape(4, 2), 1), 4));
    }
}
