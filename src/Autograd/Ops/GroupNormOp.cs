namespace NanoFed.Autograd;

/// <summary>Group normalization over (N, C, H, W) with G groups of channels (see <see cref="Kernels.GroupNorm"/>).</summary>
public static class GroupNormOp
{
    /// <summary>
    /// x (N, C, H, W) (or (N, C): H·W = 1), gamma and beta (C) → y of x's shape, each image's G groups of C/G channels
    /// normalized by their own mean and biased variance. The statistics (N·G) are saved on the tape for backward.
    /// </summary>
    public static Variable GroupNorm(this Tape tape, Variable x, Variable gamma, Variable beta, int groups, float eps = 1e-5f)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(gamma);
        ArgumentNullException.ThrowIfNull(beta);
        var (n, c, hw) = Dimensions(x, "group norm");
        var y = tape.Intermediate(x.Shape);
        var mean = tape.Scratch(new Shape(n * groups), zero: false);
        var invStd = tape.Scratch(new Shape(n * groups), zero: false);
        Kernels.GroupNorm.Forward(x.Data.Span, gamma.Data.Span, beta.Data.Span, y.Data.Span, mean.Span, invStd.Span, n, c, hw, groups, eps);
        if (tape.Records(x, gamma, beta))
            tape.Record(new TapeEntry { Backward = BackwardFn, Output = y, A = x, B = gamma, C = beta, Saved0 = mean, Saved1 = invStd, I0 = groups });
        return y;
    }

    /// <summary>(N, C, H·W) of an (N, C, ...) input; throws for rank below 2 (groups must divide C: checked by the kernel).</summary>
    internal static (int N, int C, int HW) Dimensions(Variable x, string what)
    {
        if (x.Shape.Rank < 2) throw new ArgumentException($"{what}: x must be (N, C, H, W) or (N, C), got {x.Shape}", nameof(x));
        int n = x.Shape[0], c = x.Shape[1];
        return (n, c, n * c == 0 ? 0 : x.Data.Length / (n * c));
    }

    // dX, dGamma, dBeta accumulated by one kernel call; empty spans where no gradient flows.
    private static readonly BackwardFn BackwardFn = static (ref readonly TapeEntry e) =>
    {
        var x = e.A!;
        var (n, c, hw) = Dimensions(x, "group norm");
        var dX = x.GradForAccumulation();
        var dGamma = e.B!.GradForAccumulation();
        var dBeta = e.C!.GradForAccumulation();
        Kernels.GroupNorm.Backward(x.Data.Span, e.Output.Grad!.Span, e.B.Data.Span, e.Saved0!.Span, e.Saved1!.Span,
            dX is null ? default : dX.Span, dGamma is null ? default : dGamma.Span, dBeta is null ? default : dBeta.Span, n, c, hw, e.I0);
    };
}
