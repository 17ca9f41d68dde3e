namespace NanoFed.Autograd;

/// <summary>Global average pooling: the mean of each (H, W) plane.</summary>
public static class GlobalAvgPoolOp
{
    /// <summary>y (N, C) = the mean over (H, W) of x (N, C, H, W).</summary>
    public static Variable GlobalAvgPool(this Tape tape, Variable x)
    {
        ArgumentNullException.ThrowIfNull(tape);
        if (x.Shape.Rank != 4 || x.Shape.Length == 0)
            throw new ArgumentException($"global-avg-pool: x must be a non-empty (N, C, H, W), got {x.Shape}");
        var y = tape.Intermediate(new Shape(x.Shape[0], x.Shape[1]));
        int hw = x.Shape[2] * x.Shape[3];
        Kernels.GlobalAvgPool.Forward(x.Data.Span, y.Data.Span, hw);
        if (tape.Records(x)) tape.Record(new TapeEntry { Backward = Backward, Output = y, A = x, I0 = hw });
        return y;
    }

    private static readonly BackwardFn Backward = static (ref readonly TapeEntry e) =>
    {
        var dX = e.A!.GradForWrite(out bool overwrite);
        if (dX is null) return;
        Kernels.GlobalAvgPool.Backward(e.Output.Grad!.Span, dX.Span, e.I0, overwrite);
    };
}
