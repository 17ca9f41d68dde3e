namespace NanoFed.Autograd;

/// <summary>y = max(a + b, 0), element-wise, same shapes: a residual connection and the ReLU after it, in one op.</summary>
public static class AddReluOp
{
    /// <summary>
    /// relu(a + b), as <c>tape.Relu(tape.Add(a, b))</c> with the same values and gradients, but one pass over memory
    /// forward and no intermediate sum (ResNet's block output).
    /// </summary>
    public static Variable AddRelu(this Tape tape, Variable a, Variable b)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Shape != b.Shape) throw new ArgumentException($"add-relu: shapes {a.Shape} and {b.Shape} differ", nameof(b));
        var y = tape.Intermediate(a.Shape);
        Kernels.Relu.ForwardSum(a.Data.Span, b.Data.Span, y.Data.Span);
        if (tape.Records(a, b)) tape.Record(new TapeEntry { Backward = BackwardFn, Output = y, A = a, B = b });
        return y;
    }

    // dA += (y > 0) · dY and dB += (y > 0) · dY in one pass over y and dY; a second write into one variable (a = b) accumulates.
    private static readonly BackwardFn BackwardFn = static (ref readonly TapeEntry e) =>
    {
        var dA = e.A!.GradForWrite(out bool overwriteA);
        var dB = e.B!.GradForWrite(out bool overwriteB);
        if (dA is null || dB is null)
        {
            var (only, overwrite) = dA is null ? (dB, overwriteB) : (dA, overwriteA);
            if (only is not null) Kernels.Relu.Backward(e.Output.Data.Span, e.Output.Grad!.Span, only.Span, overwrite);
            return;
        }
        Kernels.Relu.BackwardSum(e.Output.Data.Span, e.Output.Grad!.Span, dA.Span, overwriteA, dB.Span, overwriteB);
    };
}
