using NanoFed.Autograd;

namespace NanoFed.Nets.Modules;

/// <summary>
/// Fully connected layer y = x·wᵀ + b on (N, In) (PyTorch's <c>nn.Linear</c>): "weight" (Out, In) and, when
/// <c>bias</c>, "bias" (Out). Initialized as PyTorch's default (<see cref="Init.PyTorchDefault"/>).
/// </summary>
public sealed class Linear : Module
{
    /// <summary>A layer from <paramref name="inFeatures"/> to <paramref name="outFeatures"/>.</summary>
    public Linear(int inFeatures, int outFeatures, RngStream rng, bool bias = true)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentException($"Linear: need positive feature counts, got {inFeatures} -> {outFeatures}");
        Weight = AddParameter("weight", Tensor.Zeros(new Shape(outFeatures, inFeatures)));
        Bias = bias ? AddParameter("bias", Tensor.Zeros(new Shape(outFeatures))) : null;
        Init.PyTorchDefault(Weight.Data, Bias?.Data, rng);
    }

    /// <summary>Weight (Out, In).</summary>
    public Variable Weight { get; }

    /// <summary>Bias (Out), or null.</summary>
    public Variable? Bias { get; }

    /// <inheritdoc/>
    public override long ForwardFlops(ref int[] shape)
    {
        var w = Weight.Data.Shape;
        if (FlopShape.Elements(shape) != w[1]) throw new ArgumentException($"Linear expects {w[1]} features, got shape ({string.Join(", ", shape)})");
        shape = [w[0]];
        return 2L * w[0] * w[1];
    }

    /// <inheritdoc/>
    public override Variable Forward(Tape tape, Variable x) => tape.Linear(x, Weight, Bias);
}
