using NanoFed.Autograd;
using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

public class Conv2dBatchNormEvalOpTests
{
    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void FoldedInferenceMatchesTheSeparateOps(bool bias, bool relu)
    {
        var p = Parameters(bias);
        var tape = new Tape();
        Variable separate, folded;
        using (tape.NoGrad())
        {
            separate = Separate(tape, p, relu);
            folded = tape.Conv2dBatchNormEval(p.X, p.W, p.Bias, 1, 1, p.Gamma, p.Beta, p.Mean, p.Var, 1e-5f, relu);
        }
        Assert.Equal(separate.Shape, folded.Shape);
        Close.Assert(separate.Data.Span, folded.Data.Span, $"bias {bias} relu {relu}", rtol: 1e-4, atol: 1e-5);
        Assert.Equal(relu, folded.Data.Span.ToArray().Any(v => v == 0f));
    }

    [Fact]
    public void WhenRecordingItRunsTheSeparateOpsWithTheirGradients()
    {
        float[][] Run(bool fused)
        {
            var p = Parameters(bias: true);
            var tape = new Tape();
            var y = fused ? tape.Conv2dBatchNormEval(p.X, p.W, p.Bias, 1, 1, p.Gamma, p.Beta, p.Mean, p.Var, 1e-5f, relu: true) : Separate(tape, p, relu: true);
            tape.Backward(y, OpCheck.Random(y.Shape, 9).Data);
            return [y.Data.Span.ToArray(), p.X.Grad!.Span.ToArray(), p.W.Grad!.Span.ToArray(), p.Gamma.Grad!.Span.ToArray()];
        }
        var fused = Run(fused: true);
        var separate = Run(fused: false);
        for (int i = 0; i < fused.Length; i++) Close.Identical(separate[i], fused[i], $"buffer {i}");
    }

    private sealed record Inputs(Variable X, Variable W, Variable? Bias, Variable Gamma, Variable Beta, Tensor Mean, Tensor Var);

    private static Inputs Parameters(bool bias) => new(
        OpCheck.Random(new Shape(2, 5, 6, 6), 1), OpCheck.Random(new Shape(9, 5, 3, 3), 2), bias ? OpCheck.Random(new Shape(9), 3) : null,
        OpCheck.Random(new Shape(9), 4, lo: 0.5f, hi: 1.5f), OpCheck.Random(new Shape(9), 5),
        OpCheck.Random(new Shape(9), 6, requiresGrad: false).Data, OpCheck.Random(new Shape(9), 7, requiresGrad: false, lo: 0.5f, hi: 2).Data);

    private static Variable Separate(Tape tape, Inputs p, bool relu)
    {
        var y = tape.BatchNorm2d(tape.Conv2d(p.X, p.W, p.Bias, 1, 1), p.Gamma, p.Beta, p.Mean, p.Var, BatchNormMode.Eval);
        return relu ? tape.Relu(y) : y;
    }
}
