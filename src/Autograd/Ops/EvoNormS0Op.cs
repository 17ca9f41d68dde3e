namespace NanoFed.Autograd;

/// <summary>EvoNorm-S0, normalization and activation in one, over (N, C, H, W) (see <see cref="Kernels.EvoNormS0"/>).</summary>
public static class EvoNormS0Op
{
    /// <summary>
    /// x (N, C, H, W) (or (N, C): H·W = 1); v, gamma, beta of C elements (any shape, such as PyTorch's (1, C, 1, 1)) →
    /// y = x · sigmoid(v · x) / group_std(x) · gamma + beta of x's shape, G groups of C/G channels. The sigmoid
    /// (x's shape) and the group statistics (N·G) are saved on the tape for backward.
    /// </summary>
    public static Variable EvoNormS0(this Tape tape, Variable x, Variable v, Variable gamma, Variable beta, int groups, float eps = 1e-5f)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(gamma);
        ArgumentNullException.ThrowIfNull(beta);
        var (n, c, hw) = GroupNormOp.Dimensions(x, "EvoNorm-S0");
        var y = tape.Intermediate(x.Shape);
        var sigmoid = tape.Scratch(x.Shape, zero: false);
        var mean = tape.Scratch(new Shape(n * groups), zero: false);
        var invStd = tape.Scratch(new Shape(n * groups), zero: false);
        Kernels.EvoNormS0.Forward(x.Data.Span, v.Data.Span, gamma.Data.Span, beta.Data.Span, y.Data.Span, sigmoid.Span, mean.Span,
            invStd.Span, n, c, hw, groups, eps);
        if (tape.Records(x, v, gamma, beta))
        {
            tape.Record(new TapeEntry
            {
                Backward = BackwardFn, Output = y, A = x, B = v, C = gamma, D = beta, Saved0 = sigmoid, Saved1 = mean, Saved2 = invStd, I0 = groups,
            });
        }
        return y;
    }

    // dX, dV, dGamma, dBeta accumulated by one kernel call; empty spans where no gradient flows.
    private static readonly BackwardFn BackwardFn = static (ref readonly TapeEntry e) =>
    {
        var x = e.A!;
        var (n, c, hw) = GroupNormOp.Dimensions(x, "EvoNorm-S0");
        var dX = x.GradForAccumulation();
        var dV = e.B!.GradForAccumulation();
        var dGamma = e.C!.GradForAccumulation();
        var dBeta = e.D!.GradForAccumulation();
        Kernels.EvoNormS0.Backward(x.Data.Span, e.Output.Grad!.Span, e.B.Data.Span, e.C.Data.Span, e.Saved0!.Span, e.Saved1!.Span,
            e.Saved2!.Span, dX is null ? default : dX.Span, dV is null ? default : dV.Span, dGamma is null ? default : dGamma.Span,
            dBeta is null ? default : dBeta.Span, n, c, hw, e.I0);
    };
}
