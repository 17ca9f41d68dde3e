using NanoFed.Kernels;

namespace NanoFed.Autograd;

/// <summary>Batch normalization over (N, C, H, W) per channel (see <see cref="Kernels.BatchNorm2d"/>).</summary>
public static class BatchNorm2dOp
{
    /// <summary>
    /// x (N, C, H, W) (or (N, C): H·W = 1), gamma and beta (C) → y of x's shape. runningMean and runningVar (C) are
    /// buffers, not variables: read in Eval, updated in place in Train (also under no-grad), not used (may be null)
    /// in BatchStatsAlways. The statistics used are saved on the tape for backward.
    /// </summary>
    public static Variable BatchNorm2d(this Tape tape, Variable x, Variable gamma, Variable beta,
        Tensor? runningMean, Tensor? runningVar, BatchNormMode mode, float momentum = 0.1f, float eps = 1e-5f) =>
        Apply(tape, x, gamma, beta, runningMean, runningVar, mode, momentum, eps, relu: false, BackwardFn);

    /// <summary>Batch norm, then a ReLU when <paramref name="relu"/>; recorded with <paramref name="backward"/>.</summary>
    internal static Variable Apply(Tape tape, Variable x, Variable gamma, Variable beta, Tensor? runningMean, Tensor? runningVar,
        BatchNormMode mode, float momentum, float eps, bool relu, BackwardFn backward)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(gamma);
        ArgumentNullException.ThrowIfNull(beta);
        if (x.Shape.Rank < 2)
            throw new ArgumentException($"batch norm: x must be (N, C, H, W) or (N, C), got {x.Shape}", nameof(x));
        int n = x.Shape[0], c = x.Shape[1], hw = n * c == 0 ? 0 : x.Data.Length / (n * c);
        if (mode != BatchNormMode.BatchStatsAlways && (runningMean is null || runningVar is null))
            throw new ArgumentException($"batch norm in {mode} mode needs running mean and variance buffers", nameof(runningMean));
        var y = tape.Intermediate(x.Shape);
        var mean = tape.Scratch(new Shape(c), zero: false);
        var invStd = tape.Scratch(new Shape(c), zero: false);
        Kernels.BatchNorm2d.Forward(x.Data.Span, gamma.Data.Span, beta.Data.Span, y.Data.Span, mean.Span, invStd.Span,
            runningMean is null ? default : runningMean.Span, runningVar is null ? default : runningVar.Span,
            n, c, hw, mode, momentum, eps, relu);
        if (tape.Records(x, gamma, beta))
        {
            tape.Record(new TapeEntry
            {
                Backward = backward, Output = y, A = x, B = gamma, C = beta,
                Saved0 = mean, Saved1 = invStd, I0 = (int)mode,
            });
        }
        return y;
    }

    private static readonly BackwardFn BackwardFn = static (ref readonly TapeEntry e) => Backward(in e, relu: false);

    /// <summary>
    /// dX, dGamma, dBeta written by one kernel call (dX overwritten when it is new); empty spans where no gradient
    /// flows. After a fused ReLU the output's gradient is masked inside the kernel, by the pre-activation recomputed
    /// from x, gamma and beta (the parameters are unchanged between a forward and its backward).
    /// </summary>
    internal static void Backward(ref readonly TapeEntry e, bool relu)
    {
        var x = e.A!;
        int n = x.Shape[0], c = x.Shape[1], hw = n * c == 0 ? 0 : x.Data.Length / (n * c);
        var dX = x.GradForWrite(out bool overwrite);
        var dGamma = e.B!.GradForAccumulation();
        var dBeta = e.C!.GradForAccumulation();
        Span<float> dx = dX is null ? default : dX.Span, dg = dGamma is null ? default : dGamma.Span, db = dBeta is null ? default : dBeta.Span;
        if (relu)
        {
            Kernels.BatchNorm2d.BackwardRelu(x.Data.Span, e.Output.Grad!.Span, e.B.Data.Span, e.C.Data.Span, e.Saved0!.Span,
                e.Saved1!.Span, dx, dg, db, n, c, hw, (BatchNormMode)e.I0, overwrite);
            return;
        }
        Kernels.BatchNorm2d.Backward(x.Data.Span, e.Output.Grad!.Span, e.B.Data.Span, e.Saved0!.Span, e.Saved1!.Span,
            dx, dg, db, n, c, hw, (BatchNormMode)e.I0, overwrite: overwrite);
    }
}
