using FsCheck.Fluent;
using NanoFed.Autograd;
using Xunit;

namespace NanoFed.Tests;

public class ReluOpTests
{
    [Fact]
    public void MatchesTorch() => OpCheck.AgainstTorch("relu", (t, v, fx, c) => t.Relu(v[0]), "x");

    [Fact]
    public void GradientMatchesDifferences() => Props.Check(
        from rows in Gen.Choose(1, 4)
        from cols in Gen.Choose(1, 9)
        from seed in Props.Seed
        select (rows, cols, seed),
        p =>
        {
            var x = OpCheck.Random(new Shape(p.rows, p.cols), p.seed);
            // Keep every input at least 0.1 from the kink (the step is 0.01).
            var s = x.Data.Span;
            for (int i = 0; i < s.Length; i++) s[i] = s[i] >= 0 ? s[i] + 0.1f : s[i] - 0.1f;
            OpCheck.Gradients((t, v) => t.Relu(v[0]), x);
        });
}
