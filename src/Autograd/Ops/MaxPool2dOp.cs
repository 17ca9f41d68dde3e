using NanoFed.Kernels;

namespace NanoFed.Autograd;

/// <summary>2-D max pooling (PyTorch's max_pool2d, ceil_mode=False); the gradient goes to each window's first maximum.</summary>
public static class MaxPool2dOp
{
    /// <summary>y (N, C, P, Q) = the maxima of x (N, C, H, W) over square windows of side <paramref name="kernel"/>.</summary>
    public static Variable MaxPool2d(this Tape tape, Variable x, int kernel, int stride, int padding = 0)
    {
        ArgumentNullException.ThrowIfNull(tape);
        var g = PoolShapes.Geometry("max-pool", x.Shape, kernel, stride, padding);
        var yShape = new Shape(g.N, g.C, g.P, g.Q);
        var y = tape.Intermediate(yShape);
        bool records = tape.Records(x);
        var argmax = records ? tape.Scratch(yShape, zero: false) : Tensor.Uninitialized(yShape);
        Kernels.MaxPool2d.Forward(x.Data.Span, y.Data.Span, argmax.Span, g);
        if (records)
            tape.Record(new TapeEntry { Backward = Backward, Output = y, A = x, Saved0 = argmax, I0 = kernel, I1 = stride, I2 = padding });
        else
            argmax.Dispose();
        return y;
    }

    private static readonly BackwardFn Backward = static (ref readonly TapeEntry e) =>
    {
        var dX = e.A!.GradForAccumulation();
        if (dX is null) return;
        var g = PoolShapes.Geometry("max-pool", e.A.Shape, e.I0, e.I1, e.I2);
        Kernels.MaxPool2d.Backward(e.Output.Grad!.Span, e.Saved0!.Span, dX.Span, g);
    };
}
