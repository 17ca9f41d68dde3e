namespace NanoFed.Nets.Optim;

/// <summary>
/// Linear warm-up in front of another schedule: lr(t) = inner(t) · f(t) with
/// f(t) = startFactor + (1 − startFactor)·min(t, warmupSteps)/warmupSteps, as
/// <c>torch.optim.lr_scheduler.LinearLR(start_factor, end_factor=1, total_iters=warmupSteps)</c> chained with the
/// inner schedule. Over a constant inner rate this is LinearLR alone.
/// </summary>
public sealed class LinearWarmup : ILrSchedule
{
    /// <summary>Warms <paramref name="inner"/> up over <paramref name="warmupSteps"/> steps from <paramref name="startFactor"/> of its value.</summary>
    public LinearWarmup(ILrSchedule inner, int warmupSteps, double startFactor = 1.0 / 3)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        if (warmupSteps <= 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "warm-up needs at least one step");
        if (startFactor is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, "start factor must be in (0, 1]");
        WarmupSteps = warmupSteps;
        StartFactor = startFactor;
    }

    /// <summary>The schedule being warmed up.</summary>
    public ILrSchedule Inner { get; }

    /// <summary>Steps until the full rate.</summary>
    public int WarmupSteps { get; }

    /// <summary>Fraction of the rate at step 0.</summary>
    public double StartFactor { get; }

    /// <inheritdoc/>
    public double LrAt(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        double factor = StartFactor + (1 - StartFactor) * Math.Min(step, WarmupSteps) / WarmupSteps;
        return Inner.LrAt(step) * factor;
    }
}
