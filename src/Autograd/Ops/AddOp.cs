namespace NanoFed.Autograd;

/// <summary>y = a + b, element-wise, same shapes.</summary>
public static class AddOp
{
    /// <summary>The element-wise sum of two variables of the same shape (a residual connection, for instance).</summary>
    public static Variable Add(this Tape tape, Variable a, Variable b)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Shape != b.Shape) throw new ArgumentException($"add: shapes {a.Shape} and {b.Shape} differ", nameof(b));
        var y = tape.Intermediate(a.Shape);
        Kernels.Add.Forward(a.Data.Span, b.Data.Span, y.Data.Span);
        if (tape.Records(a, b)) tape.Record(new TapeEntry { Backward = BackwardFn, Output = y, A = a, B = b });
        return y;
    }

    // dA += dY, dB += dY (twice into the same gradient when a and b are one variable: correct, y = 2a).
    private static readonly BackwardFn BackwardFn = static (ref readonly TapeEntry e) =>
    {
        var dY = e.Output.Grad!.Span;
        var dA = e.A!.GradForAccumulation();
        if (dA is not null) Kernels.Add.Accumulate(dY, dA.Span);
        var dB = e.B!.GradForAccumulation();
        if (dB is not null) Kernels.Add.Accumulate(dY, dB.Span);
    };
}
