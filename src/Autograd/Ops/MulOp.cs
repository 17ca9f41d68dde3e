using NanoFed.Kernels;

namespace NanoFed.Autograd;

/// <summary>y = a · b, element-wise, same shapes.</summary>
public static class MulOp
{
    /// <summary>The element-wise product of two variables of the same shape.</summary>
    public static Variable Mul(this Tape tape, Variable a, Variable b)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Shape != b.Shape) throw new ArgumentException($"mul: shapes {a.Shape} and {b.Shape} differ", nameof(b));
        var y = tape.Intermediate(a.Shape);
        Multiply.Forward(a.Data.Span, b.Data.Span, y.Data.Span);
        if (tape.Records(a, b)) tape.Record(new TapeEntry { Backward = BackwardFn, Output = y, A = a, B = b });
        return y;
    }

    // dA += dY · b, dB += dY · a.
    private static readonly BackwardFn BackwardFn = static (ref readonly TapeEntry e) =>
    {
        var dY = e.Output.Grad!.Span;
        var dA = e.A!.GradForAccumulation();
        if (dA is not null) Multiply.Backward(dY, e.B!.Data.Span, dA.Span);
        var dB = e.B!.GradForAccumulation();
        if (dB is not null) Multiply.Backward(dY, e.A.Data.Span, dB.Span);
    };
}
