namespace NanoFed.Nets.Optim;

/// <summary>
/// The one-cycle policy as <c>torch.optim.lr_scheduler.OneCycleLR</c> with <c>three_phase=False</c> (Smith and
/// Topin 2017, arXiv 1708.07120). Initial lr = maxLr / divFactor, minimum lr = initial / finalDivFactor. Phase 1
/// runs from step 0 to pctStart·totalSteps − 1, from the initial lr up to maxLr; phase 2 from there to
/// totalSteps − 1, down to the minimum. Within a phase, pct = (step − phase start) / (phase end − phase start) and
/// the rate is annealed by cosine (end + (start − end)·(1 + cos(π·pct))/2, PyTorch's default) or linearly
/// (start + (end − start)·pct, <c>anneal_strategy='linear'</c>). <see cref="MomentumAt"/> gives the momentum
/// PyTorch cycles alongside (from maxMomentum down to baseMomentum and back).
/// </summary>
public sealed class OneCycleLr : ILrSchedule
{
    private readonly double _phase1End, _phase2End;

    /// <summary>A cycle of <paramref name="totalSteps"/> steps peaking at <paramref name="maxLr"/>.</summary>
    public OneCycleLr(double maxLr, int totalSteps, double pctStart = 0.3, bool linear = false, double divFactor = 25,
        double finalDivFactor = 1e4, double baseMomentum = 0.85, double maxMomentum = 0.95)
    {
        if (totalSteps <= 0) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "total steps must be positive");
        if (pctStart is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, "pct_start must be in [0, 1]");
        MaxLr = maxLr;
        TotalSteps = totalSteps;
        Linear = linear;
        InitialLr = maxLr / divFactor;
        MinLr = InitialLr / finalDivFactor;
        BaseMomentum = baseMomentum;
        MaxMomentum = maxMomentum;
        _phase1End = pctStart * totalSteps - 1;
        _phase2End = totalSteps - 1;
    }

    /// <summary>The peak learning rate.</summary>
    public double MaxLr { get; }

    /// <summary>The rate at step 0 (maxLr / divFactor).</summary>
    public double InitialLr { get; }

    /// <summary>The rate at the last step (initial / finalDivFactor).</summary>
    public double MinLr { get; }

    /// <summary>Number of steps in the cycle; steps beyond it are an error, as in PyTorch.</summary>
    public int TotalSteps { get; }

    /// <summary>Linear instead of cosine annealing.</summary>
    public bool Linear { get; }

    /// <summary>Momentum at the peak learning rate.</summary>
    public double BaseMomentum { get; }

    /// <summary>Momentum at the start and end of the cycle.</summary>
    public double MaxMomentum { get; }

    /// <inheritdoc/>
    public double LrAt(int step) => Evaluate(step, InitialLr, MaxLr, MinLr);

    /// <summary>The momentum at <paramref name="step"/>: maxMomentum → baseMomentum in phase 1, back in phase 2.</summary>
    public double MomentumAt(int step) => Evaluate(step, MaxMomentum, BaseMomentum, MaxMomentum);

    private double Evaluate(int step, double start, double peak, double end)
    {
        if (step < 0 || step > TotalSteps)
            throw new ArgumentOutOfRangeException(nameof(step), step, $"one-cycle schedule has {TotalSteps} steps");
        if (step <= _phase1End)
            return Anneal(start, peak, step / _phase1End);
        return Anneal(peak, end, (step - _phase1End) / (_phase2End - _phase1End));
    }

    private double Anneal(double start, double end, double pct) =>
        Linear ? (end - start) * pct + start : end + (start - end) / 2 * (Math.Cos(Math.PI * pct) + 1);
}
