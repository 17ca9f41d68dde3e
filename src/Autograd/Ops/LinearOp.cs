namespace NanoFed.Autograd;

/// <summary>Fully connected layer, PyTorch layout: y = x · wᵀ + b.</summary>
public static class LinearOp
{
    /// <summary>
    /// x (N, In), w (Out, In), optional b (Out) → y (N, Out).
    /// </summary>
    public static Variable Linear(this Tape tape, Variable x, Variable w, Variable? b = null)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(w);
        if (x.Shape.Rank != 2 || w.Shape.Rank != 2 || x.Shape[1] != w.Shape[1] || (b is not null && b.Shape != new Shape(w.Shape[0])))
            throw new ArgumentException($"linear: needs x (N, In), w (Out, In), b (Out); got x {x.Shape}, w {w.Shape}, b {b?.Shape.ToString() ?? "none"}");
        int n = x.Shape[0], inFeatures = x.Shape[1], outFeatures = w.Shape[0];
        var y = tape.Intermediate(new Shape(n, outFeatures));
        Kernels.Linear.Forward(x.Data.Span, w.Data.Span, b is null ? default : b.Data.Span, y.Data.Span, n, inFeatures, outFeatures);
        if (tape.Records(x, w, b)) tape.Record(new TapeEntry { Backward = BackwardFn, Output = y, A = x, B = w, C = b });
        return y;
    }

    // dX += dY · w, dW += dYᵀ · x, dB += column sums of dY; each only where a gradient flows.
    private static readonly BackwardFn BackwardFn = static (ref readonly TapeEntry e) =>
    {
        var dY = e.Output.Grad!.Span;
        var x = e.A!;
        var w = e.B!;
        int n = x.Shape[0], inFeatures = x.Shape[1], outFeatures = w.Shape[0];
        var dX = x.GradForAccumulation();
        if (dX is not null) Kernels.Linear.BackwardData(dY, w.Data.Span, dX.Span, n, inFeatures, outFeatures);
        var dW = w.GradForAccumulation();
        if (dW is not null) Kernels.Linear.BackwardWeight(dY, x.Data.Span, dW.Span, n, inFeatures, outFeatures);
        var dB = e.C?.GradForAccumulation();
        if (dB is not null) Kernels.Linear.BackwardBias(dY, dB.Span, n, outFeatures);
    };
}
