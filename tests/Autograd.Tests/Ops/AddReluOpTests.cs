using FsCheck.Fluent;
using NanoFed.Autograd;
using Xunit;

namespace NanoFed.Tests;

public class AddReluOpTests
{
    [Fact]
    public void GradientMatchesDifferences() => Props.Check(
        from rows in Gen.Choose(1, 4)
        from cols in Gen.Choose(1, 9)
        from seed in Props.Seed
        select (rows, cols, seed),
        p =>
        {
            // a + b kept at least 0.1 from the kink (the step is 0.01): b is shifted away from -a.
            var a = OpCheck.Random(new Shape(p.rows, p.cols), p.seed);
            var b = OpCheck.Random(new Shape(p.rows, p.cols), p.seed + 1);
            var sa = a.Data.Span;
            var sb = b.Data.Span;
            for (int i = 0; i < sa.Length; i++) sb[i] += sa[i] + sb[i] >= 0 ? 0.1f : -0.1f;
            OpCheck.Gradients((t, v) => t.AddRelu(v[0], v[1]), a, b);
        });

    [Fact]
    public void SameVariableTwiceGetsTwiceTheGradient() =>
        OpCheck.Gradients((t, v) => t.AddRelu(v[0], v[0]), OpCheck.Random(new Shape(5), 1, lo: 0.1f, hi: 1));

    [Fact]
    public void ValuesAndGradientsAreBitIdenticalToAddThenRelu()
    {
        float[][] Step(Func<Tape, Variable, Variable, Variable> f)
        {
            var a = OpCheck.Random(new Shape(3, 17), 2);
            var b = OpCheck.Random(new Shape(3, 17), 3);
            var tape = new Tape();
            // The inputs come out of ops, as in a network, so their gradients are the tape's (overwritten when new).
            var y = f(tape, tape.Relu(a), b);
            tape.Backward(y, OpCheck.Random(y.Shape, 4).Data);
            return [y.Data.Span.ToArray(), a.Grad!.Span.ToArray(), b.Grad!.Span.ToArray()];
        }
        var fused = Step((t, a, b) => t.AddRelu(a, b));
        var twoOps = Step((t, a, b) => t.Relu(t.Add(a, b)));
        for (int i = 0; i < fused.Length; i++) Close.Identical(twoOps[i], fused[i], $"buffer {i}");
    }

    [Fact]
    public void ShapeMismatchIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new Tape().AddRelu(OpCheck.Random(new Shape(2, 3), 0), OpCheck.Random(new Shape(3, 2), 0)));
        Assert.Contains("[2, 3]", e.Message);
    }
}
