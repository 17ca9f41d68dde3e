using NanoFed.Kernels;

namespace NanoFed.Autograd;

/// <summary>2-D convolution (PyTorch's conv2d: zero padding, no dilation, no groups) with gradients to x, w and bias.</summary>
public static class Conv2dOp
{
    /// <summary>
    /// y (N, K, P, Q) = conv2d(x (N, C, H, W), w (K, C, R, S)) + bias (K), with the same stride and padding in
    /// both directions. <paramref name="bias"/> may be null.
    /// </summary>
    public static Variable Conv2d(this Tape tape, Variable x, Variable w, Variable? bias, int stride = 1, int padding = 0) =>
        tape.Conv2d(x, w, bias, stride, stride, padding, padding);

    /// <summary>As <see cref="Conv2d(Tape, Variable, Variable, Variable?, int, int)"/> with separate vertical and horizontal stride and padding.</summary>
    public static Variable Conv2d(this Tape tape, Variable x, Variable w, Variable? bias,
        int strideH, int strideW, int padH, int padW) => Conv2d(tape, x, w, bias, strideH, strideW, padH, padW, relu: false);

    /// <summary>max(conv2d(...), 0) with the ReLU in the convolution's output pass; only where nothing needs a gradient (inference).</summary>
    internal static Variable Conv2d(this Tape tape, Variable x, Variable w, Variable? bias, int stride, int padding, bool relu) =>
        Conv2d(tape, x, w, bias, stride, stride, padding, padding, relu);

    private static Variable Conv2d(Tape tape, Variable x, Variable w, Variable? bias, int strideH, int strideW, int padH, int padW, bool relu)
    {
        ArgumentNullException.ThrowIfNull(tape);
        var g = Geometry(x.Shape, w.Shape, bias?.Shape, strideH, strideW, padH, padW);
        if (relu && tape.Records(x, w, bias)) throw new InvalidOperationException("conv2d with a fused ReLU has no backward; use it only where nothing is recorded");
        var y = tape.Intermediate(new Shape(g.N, g.K, g.P, g.Q));
        Kernels.Conv2d.Forward(x.Data.Span, w.Data.Span, bias is null ? default : bias.Data.Span, y.Data.Span, g, relu);
        if (tape.Records(x, w, bias))
            tape.Record(new TapeEntry
            {
                Backward = Backward, Output = y, A = x, B = w, C = bias,
                I0 = strideH, I1 = strideW, I2 = padH, I3 = padW,
            });
        return y;
    }

    private static readonly BackwardFn Backward = static (ref readonly TapeEntry e) =>
    {
        var g = new Conv2dGeometry(e.A!.Shape[0], e.A.Shape[1], e.A.Shape[2], e.A.Shape[3],
            e.B!.Shape[0], e.B.Shape[2], e.B.Shape[3], e.I0, e.I1, e.I2, e.I3);
        var dY = e.Output.Grad!.Span;
        var dX = e.A.GradForWrite(out bool overwrite);
        if (dX != null) Kernels.Conv2d.BackwardData(dY, e.B.Data.Span, dX.Span, g, overwrite);
        var dW = e.B.GradForAccumulation();
        var dB = e.C?.GradForAccumulation();
        if (dW != null || dB != null)
            Kernels.Conv2d.BackwardWeight(e.A.Data.Span, dY, dW is null ? default : dW.Span, dB is null ? default : dB.Span, g);
    };

    private static Conv2dGeometry Geometry(Shape x, Shape w, Shape? bias, int strideH, int strideW, int padH, int padW)
    {
        if (x.Rank != 4 || w.Rank != 4 || w[1] != x[1])
            throw new ArgumentException($"conv2d: x must be (N, C, H, W) and w (K, C, R, S) with the same C, got x {x} and w {w}");
        if (bias is { } b && (b.Rank != 1 || b[0] != w[0]))
            throw new ArgumentException($"conv2d: bias must be (K) = ({w[0]}), got {b}");
        var g = new Conv2dGeometry(x[0], x[1], x[2], x[3], w[0], w[2], w[3], strideH, strideW, padH, padW);
        g.Validate();
        return g;
    }
}
