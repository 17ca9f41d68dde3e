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
        PassThrough(e.Output.Grad!.Span, e.A!);
        PassThrough(e.Output.Grad!.Span, e.B!);
    };

    private static void PassThrough(ReadOnlySpan<float> dY, Variable input)
    {
        var dX = input.GradForWrite(out bool overwrite);
        if (dX is not null) Kernels.Add.Accumulate(dY, dX.Span, overwrite);
    }
}
