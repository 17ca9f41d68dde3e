using FsCheck.Fluent;
using NanoFed.Autograd;
using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

public class BatchNorm2dReluOpTests
{
    [Fact]
    public void GradientMatchesDifferences() => Props.Check(
        from n in Gen.Choose(2, 3)
        from c in Gen.Choose(1, 3)
        from hw in Gen.Choose(2, 6)
        from mode in Gen.Elements(BatchNormMode.Train, BatchNormMode.Eval, BatchNormMode.BatchStatsAlways)
        from seed in Props.Seed
        select (n, c, hw, mode, seed),
        p =>
        {
            // |gamma · x̂| stays below 7 here, so beta = ±8 keeps every output away from the ReLU's kink:
            // channels alternate between all-positive (the ReLU passes) and all-clipped (it blocks).
            var x = OpCheck.Random(new Shape(p.n, p.c, 1, p.hw), p.seed, lo: -2, hi: 2);
            var gamma = OpCheck.Random(new Shape(p.c), p.seed + 1, lo: 0.5f, hi: 1.5f);
            var beta = OpCheck.Random(new Shape(p.c), p.seed + 2);
            for (int ch = 0; ch < p.c; ch++) beta.Data.Span[ch] = ch % 2 == 0 ? 8f : -8f;
            var (rm, rv) = Running(p.c, p.mode);
            OpCheck.Gradients((t, v) => t.BatchNorm2dRelu(v[0], v[1], v[2], rm, rv, p.mode), [x, gamma, beta], seed: p.seed, atol: 5e-3);
        }, maxTest: 10);

    [Theory]
    [InlineData(BatchNormMode.Train)]
    [InlineData(BatchNormMode.Eval)]
    [InlineData(BatchNormMode.BatchStatsAlways)]
    public void ValuesAndGradientsAreBitIdenticalToBatchNormThenRelu(BatchNormMode mode)
    {
        var fused = Step(mode, (t, x, g, b, rm, rv) => t.BatchNorm2dRelu(x, g, b, rm, rv, mode));
        var twoOps = Step(mode, (t, x, g, b, rm, rv) => t.Relu(t.BatchNorm2d(x, g, b, rm, rv, mode)));
        for (int i = 0; i < fused.Length; i++) Close.Identical(twoOps[i], fused[i], $"{mode} buffer {i}");
    }

    [Fact]
    public void GradientsStayTheSameWhenTheTapeReusesStaleBuffers()
    {
        // The second step gets the first step's pooled buffers back, full of old values: a gradient that is
        // overwritten must not read them, one that is accumulated must start from zero.
        var tape = new Tape();
        var x = OpCheck.Random(new Shape(3, 2, 2, 2), 11);
        var gamma = OpCheck.Random(new Shape(2), 12, lo: 0.5f, hi: 1.5f);
        var beta = OpCheck.Random(new Shape(2), 13);
        float[] First()
        {
            x.ZeroGrad();
            var y = tape.BatchNorm2dRelu(tape.Relu(x), gamma, beta, null, null, BatchNormMode.BatchStatsAlways);
            tape.Backward(tape.AddRelu(y, y), Tensor.Full(x.Shape, 1f));
            var g = x.Grad!.Span.ToArray();
            tape.Reset();
            return g;
        }
        var first = First();
        Close.Identical(first, First(), "dX on the second step");
    }

    private static (Tensor?, Tensor?) Running(int c, BatchNormMode mode) => mode == BatchNormMode.BatchStatsAlways
        ? (null, null)
        : (Tensor.Full(new Shape(c), 0.1f), Tensor.Full(new Shape(c), 0.8f));

    private static float[][] Step(BatchNormMode mode, Func<Tape, Variable, Variable, Variable, Tensor?, Tensor?, Variable> f)
    {
        var x = OpCheck.Random(new Shape(4, 3, 5, 5), 7, lo: -2, hi: 2);
        var gamma = OpCheck.Random(new Shape(3), 8, lo: 0.5f, hi: 1.5f);
        var beta = OpCheck.Random(new Shape(3), 9);
        var (rm, rv) = Running(3, mode);
        var tape = new Tape();
        var y = f(tape, x, gamma, beta, rm, rv);
        tape.Backward(y, OpCheck.Random(y.Shape, 10).Data);
        return [y.Data.Span.ToArray(), x.Grad!.Span.ToArray(), gamma.Grad!.Span.ToArray(), beta.Grad!.Span.ToArray(),
            rm?.Span.ToArray() ?? [], rv?.Span.ToArray() ?? []];
    }
}
