using NanoFed.Kernels;

namespace NanoFed.Autograd;

/// <summary>2-D average pooling (PyTorch's avg_pool2d with ceil_mode=False, count_include_pad=True).</summary>
public static class AvgPool2dOp
{
    /// <summary>y (N, C, P, Q) = the means of x (N, C, H, W) over square windows of side <paramref name="kernel"/>, padding counted as zeros.</summary>
    public static Variable AvgPool2d(this Tape tape, Variable x, int kernel, int stride, int padding = 0)
    {
        ArgumentNullException.ThrowIfNull(tape);
        var g = PoolShapes.Geometry("avg-pool", x.Shape, kernel, stride, padding);
        var y = tape.Intermediate(new Shape(g.N, g.C, g.P, g.Q));
        Kernels.AvgPool2d.Forward(x.Data.Span, y.Data.Span, g);
        if (tape.Records(x))
            tape.Record(new TapeEntry { Backward = Backward, Output = y, A = x, I0 = kernel, I1 = stride, I2 = padding });
        return y;
    }

    private static readonly BackwardFn Backward = static (ref readonly TapeEntry e) =>
    {
        var dX = e.A!.GradForAccumulation();
        if (dX is null) return;
        var g = PoolShapes.Geometry("avg-pool", e.A.Shape, e.I0, e.I1, e.I2);
        Kernels.AvgPool2d.Backward(e.Output.Grad!.Span, dX.Span, g);
    };
}
