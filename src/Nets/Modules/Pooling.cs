using NanoFed.Autograd;

namespace NanoFed.Nets.Modules;

/// <summary>Max pooling over square windows (<c>nn.MaxPool2d(kernel, stride, padding)</c>; stride defaults to kernel).</summary>
public sealed class MaxPool2d(int kernel, int stride = 0, int padding = 0) : Module
{
    /// <summary>Window size.</summary>
    public int Kernel { get; } = kernel;

    /// <summary>Step between windows.</summary>
    public int Stride { get; } = stride == 0 ? kernel : stride;

    /// <summary>Implicit padding (with −∞) on every side.</summary>
    public int Padding { get; } = padding;

    /// <inheritdoc/>
    public override Variable Forward(Tape tape, Variable x) => tape.MaxPool2d(x, Kernel, Stride, Padding);

    /// <inheritdoc/>
    public override long ForwardFlops(ref int[] shape)
    {
        shape = FlopShape.Window(shape, Kernel, Stride, Padding, "MaxPool2d");
        return (long)Kernel * Kernel * FlopShape.Elements(shape);
    }
}

/// <summary>Average pooling over square windows (<c>nn.AvgPool2d(kernel, stride, padding)</c>; stride defaults to kernel).</summary>
public sealed class AvgPool2d(int kernel, int stride = 0, int padding = 0) : Module
{
    /// <summary>Window size.</summary>
    public int Kernel { get; } = kernel;

    /// <summary>Step between windows.</summary>
    public int Stride { get; } = stride == 0 ? kernel : stride;

    /// <summary>Implicit zero padding on every side.</summary>
    public int Padding { get; } = padding;

    /// <inheritdoc/>
    public override Variable Forward(Tape tape, Variable x) => tape.AvgPool2d(x, Kernel, Stride, Padding);

    /// <inheritdoc/>
    public override long ForwardFlops(ref int[] shape)
    {
        shape = FlopShape.Window(shape, Kernel, Stride, Padding, "AvgPool2d");
        return (long)Kernel * Kernel * FlopShape.Elements(shape);
    }
}

/// <summary>
/// Global average pooling (N, C, H, W) → (N, C): PyTorch's <c>nn.AdaptiveAvgPool2d(1)</c> followed by
/// <c>flatten(1)</c>. The 1×1 spatial axes are dropped because every consumer here is a linear layer.
/// </summary>
public sealed class GlobalAvgPool2d : Module
{
    /// <inheritdoc/>
    public override Variable Forward(Tape tape, Variable x) => tape.GlobalAvgPool(x);

    /// <inheritdoc/>
    public override long ForwardFlops(ref int[] shape)
    {
        long n = FlopShape.Elements(shape);
        shape = [shape[0]];
        return n;
    }
}
