using FsCheck.Fluent;
using NanoFed.Autograd;
using Xunit;

namespace NanoFed.Tests;

public class KlDivOpTests
{
    [Fact]
    public void MatchesTorch() => OpCheck.AgainstTorch("kl_div",
        (t, v, fx, c) => t.KlDiv(v[0], v[1], fx.MetaFloat(c, "temperature")), "student", "teacher");

    [Fact]
    public void GradientMatchesDifferences() => Props.Check(
        from n in Gen.Choose(1, 3)
        from c in Gen.Choose(2, 6)
        from temperature in Gen.Elements(1f, 3f)
        from seed in Props.Seed
        select (n, c, temperature, seed),
        p => OpCheck.Gradients((t, v) => t.KlDiv(v[0], v[1], p.temperature),
            OpCheck.Random(new Shape(p.n, p.c), p.seed, lo: -3, hi: 3), OpCheck.Random(new Shape(p.n, p.c), p.seed + 1, lo: -3, hi: 3)));

    [Fact]
    public void DetachedTeacherGetsNoGradient()
    {
        var tape = new Tape();
        var student = OpCheck.Random(new Shape(2, 4), 1);
        var teacher = OpCheck.Random(new Shape(2, 4), 2, requiresGrad: false);
        tape.Backward(tape.KlDiv(student, teacher, 3f));
        Assert.Null(teacher.Grad);
        Assert.NotNull(student.Grad);
    }
}
