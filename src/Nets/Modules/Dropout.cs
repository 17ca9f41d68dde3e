using NanoFed.Autograd;

namespace NanoFed.Nets.Modules;

/// <summary>
/// Inverted dropout with probability <see cref="P"/> in training mode, the identity in evaluation mode
/// (<c>nn.Dropout(p)</c>). The layer owns its random stream, so masks are reproducible from the seed.
/// </summary>
public sealed class Dropout(float p, RngStream rng) : Module
{
    /// <summary>Drop probability.</summary>
    public float P { get; } = p is >= 0f and < 1f ? p : throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1)");

    /// <summary>The stream the masks are drawn from (its position is part of a checkpoint's state).</summary>
    public RngStream Rng
    {
        get;
        set => field = value ?? throw new ArgumentNullException(nameof(value));
    } = rng ?? throw new ArgumentNullException(nameof(rng));

    /// <inheritdoc/>
    public override Variable Forward(Tape tape, Variable x) => tape.Dropout(x, P, Rng, IsTraining);

    /// <inheritdoc/>
    public override long ForwardFlops(ref int[] shape) => 0;
}
