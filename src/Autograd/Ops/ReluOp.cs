using NanoFed.Kernels;

namespace NanoFed.Autograd;

/// <summary>y = max(x, 0), element-wise.</summary>
public static class ReluOp
{
    /// <summary>Rectified linear unit of <paramref name="x"/> (any shape); the output has x's shape.</summary>
    public static Variable Relu(this Tape tape, Variable x)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        var y = tape.Intermediate(x.Shape);
        Kernels.Relu.Forward(x.Data.Span, y.Data.Span);
        if (tape.Records(x)) tape.Record(new TapeEntry { Backward = BackwardFn, Output = y, A = x });
        return y;
    }

    // dX += (y > 0) · dY; the output has the input's sign pattern, so x itself is not needed.
    private static readonly BackwardFn BackwardFn = static (ref readonly TapeEntry e) =>
    {
        var dX = e.A!.GradForWrite(out bool overwrite);
        if (dX is null) return;
        Kernels.Relu.Backward(e.Output.Data.Span, e.Output.Grad!.Span, dX.Span, overwrite);
    };
}
