using FsCheck.Fluent;
using NanoFed.Autograd;
using Xunit;

namespace NanoFed.Tests;

public class CrossEntropyOpTests
{
    [Fact]
    public void MatchesTorch() => OpCheck.AgainstTorch("cross_entropy",
        (t, v, fx, c) => t.CrossEntropy(v[0], fx.Values($"{c}.labels").Select(l => (int)l).ToArray()), "logits");

    [Fact]
    public void GradientMatchesDifferences() => Props.Check(
        from n in Gen.Choose(1, 4)
        from c in Gen.Choose(1, 6)
        from seed in Props.Seed
        select (n, c, seed),
        p =>
        {
            var labels = new int[p.n];
            for (int i = 0; i < p.n; i++) labels[i] = (p.seed + 3 * i) % p.c;
            OpCheck.Gradients((t, v) => t.CrossEntropy(v[0], labels), OpCheck.Random(new Shape(p.n, p.c), p.seed, lo: -3, hi: 3));
        });

    [Fact]
    public void LossIsRankZero()
    {
        var loss = new Tape().CrossEntropy(OpCheck.Random(new Shape(2, 3), 0), [0, 2]);
        Assert.Equal(0, loss.Shape.Rank);
        Assert.Equal(1, loss.Data.Length);
    }

    [Fact]
    public void LabelOutOfRangeIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new Tape().CrossEntropy(OpCheck.Random(new Shape(2, 3), 0), [0, 3]));
        Assert.Contains("label 3", e.Message);
    }
}
