using NanoFed.Autograd;

namespace NanoFed.Nets.Modules;

/// <summary>(N, d1, d2, ...) → (N, d1·d2·...), a view (<c>nn.Flatten()</c>).</summary>
public sealed class Flatten : Module
{
    /// <inheritdoc/>
    public override Variable Forward(Tape tape, Variable x) => tape.Flatten(x);

    /// <inheritdoc/>
    public override long ForwardFlops(ref int[] shape)
    {
        shape = [(int)FlopShape.Elements(shape)];
        return 0;
    }
}
