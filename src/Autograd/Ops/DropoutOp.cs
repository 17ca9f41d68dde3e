using DropoutKernel = NanoFed.Kernels.Dropout;

namespace NanoFed.Autograd;

/// <summary>Inverted dropout: y = x · mask / (1 − p) while training, the identity otherwise (see <see cref="DropoutKernel"/>).</summary>
public static class DropoutOp
{
    /// <summary>
    /// Drops each element of <paramref name="x"/> with probability <paramref name="p"/> and scales the kept ones by
    /// 1/(1 − p), the mask drawn from <paramref name="rng"/> (one word per element). Returns <paramref name="x"/>
    /// itself when not <paramref name="training"/> or when p = 0. The mask is saved for backward: dX += dY · mask.
    /// </summary>
    public static Variable Dropout(this Tape tape, Variable x, float p, RngStream rng, bool training)
    {
        ArgumentNullException.ThrowIfNull(rng);
        _ = DropoutKernel.Scale(p); // validates p before the shortcut below
        if (!training || p == 0) return x;
        var mask = tape.Scratch(x.Shape, zero: false);
        DropoutKernel.Mask(p, rng, mask.Span);
        return Apply(tape, x, mask);
    }

    /// <summary>
    /// Dropout with an explicit keep pattern <paramref name="keep"/> (same shape as x; nonzero = kept):
    /// y = x · keep / (1 − p). For tests against PyTorch and for replaying a mask.
    /// </summary>
    public static Variable DropoutWithMask(this Tape tape, Variable x, Tensor keep, float p)
    {
        ArgumentNullException.ThrowIfNull(keep);
        if (keep.Shape != x.Shape)
            throw new ArgumentException($"keep mask shape {keep.Shape} does not match input shape {x.Shape}", nameof(keep));
        var mask = tape.Scratch(x.Shape, zero: false);
        DropoutKernel.MaskFromKeep(keep.Span, p, mask.Span);
        return Apply(tape, x, mask);
    }

    private static Variable Apply(Tape tape, Variable x, Tensor mask)
    {
        var y = tape.Intermediate(x.Shape);
        DropoutKernel.Forward(x.Data.Span, mask.Span, y.Data.Span);
        if (tape.Records(x)) tape.Record(new TapeEntry { Backward = DropoutBackward, Output = y, A = x, Saved0 = mask });
        return y;
    }

    private static readonly BackwardFn DropoutBackward = static (ref readonly TapeEntry e) =>
    {
        var dX = e.A!.GradForAccumulation();
        if (dX != null) DropoutKernel.Backward(e.Output.Grad!.Span, e.Saved0!.Span, dX.Span);
    };
}
