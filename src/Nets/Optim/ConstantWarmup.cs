namespace NanoFed.Nets.Optim;

/// <summary>
/// A reduced constant rate for the first steps: lr(t) = inner(t) · factor for t &lt; warmupSteps, inner(t) after,
/// as <c>torch.optim.lr_scheduler.ConstantLR(factor, total_iters=warmupSteps)</c> chained with the inner schedule
/// (He et al. 2016's warm-up for deep CIFAR ResNets; Sparse-Push's one epoch at 0.01 before 0.1 is factor 0.1 over
/// one epoch of steps).
/// </summary>
public sealed class ConstantWarmup : ILrSchedule
{
    /// <summary>Scales <paramref name="inner"/> by <paramref name="factor"/> for <paramref name="warmupSteps"/> steps.</summary>
    public ConstantWarmup(ILrSchedule inner, int warmupSteps, double factor)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "warm-up steps must be non-negative");
        if (factor is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(factor), factor, "factor must be in (0, 1]");
        WarmupSteps = warmupSteps;
        Factor = factor;
    }

    /// <summary>The schedule after (and under) the warm-up.</summary>
    public ILrSchedule Inner { get; }

    /// <summary>Number of reduced steps.</summary>
    public int WarmupSteps { get; }

    /// <summary>The reduction during warm-up.</summary>
    public double Factor { get; }

    /// <inheritdoc/>
    public double LrAt(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        double lr = Inner.LrAt(step);
        return step < WarmupSteps ? lr * Factor : lr;
    }
}
