using System.Numerics.Tensors;

namespace NanoFed.Autograd;

/// <summary>Reshape and flatten: views of the same elements (no copy); the gradient is the output gradient, reshaped.</summary>
public static class ReshapeOp
{
    /// <summary>A view of <paramref name="x"/> with <paramref name="shape"/> (same number of elements, row-major order kept).</summary>
    public static Variable Reshape(this Tape tape, Variable x, Shape shape)
    {
        if (shape.Length != x.Data.Length)
            throw new ArgumentException($"cannot reshape {x.Shape} ({x.Data.Length} elements) to {shape} ({shape.Length} elements)", nameof(shape));
        var y = tape.IntermediateView(x, shape);
        if (tape.Records(x)) tape.Record(new TapeEntry { Backward = ReshapeBackward, Output = y, A = x });
        return y;
    }

    /// <summary>(N, d1, d2, ...) → (N, d1·d2·...): a view, as <c>torch.flatten(x, 1)</c>.</summary>
    public static Variable Flatten(this Tape tape, Variable x)
    {
        var s = x.Shape;
        if (s.Rank < 1) throw new ArgumentException($"Flatten needs a leading batch axis, got shape {s}", nameof(x));
        int rest = 1;
        for (int i = 1; i < s.Rank; i++) rest *= s[i];
        return tape.Reshape(x, new Shape(s[0], rest));
    }

    /// <summary>dX += dY element by element (the two differ only in shape).</summary>
    private static readonly BackwardFn ReshapeBackward = static (ref readonly TapeEntry e) =>
    {
        var dX = e.A!.GradForAccumulation();
        if (dX != null) TensorPrimitives.Add(dX.Span, e.Output.Grad!.Span, dX.Span);
    };
}
