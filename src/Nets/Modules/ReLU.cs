using NanoFed.Autograd;

namespace NanoFed.Nets.Modules;

/// <summary>Element-wise max(x, 0) (<c>nn.ReLU</c>).</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc/>
    public override Variable Forward(Tape tape, Variable x) => tape.Relu(x);

    /// <inheritdoc/>
    public override long ForwardFlops(ref int[] shape) => FlopShape.Elements(shape);
}
