namespace NanoFed.Nets.Optim;

/// <summary>A constant learning rate (the inner schedule of a plain warm-up).</summary>
public sealed class ConstantLr(double lr) : ILrSchedule
{
    /// <summary>The rate.</summary>
    public double Lr { get; } = lr;

    /// <inheritdoc/>
    public double LrAt(int step) => Lr;
}
