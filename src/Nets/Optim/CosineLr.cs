namespace NanoFed.Nets.Optim;

/// <summary>
/// Cosine annealing (<c>torch.optim.lr_scheduler.CosineAnnealingLR</c> in its closed form, Loshchilov and Hutter
/// 2017, arXiv 1608.03983, eq. 5 without restarts): lr = etaMin + (baseLr − etaMin)·(1 + cos(π·t/tMax))/2 for
/// t ≤ tMax, then etaMin.
/// </summary>
public sealed class CosineLr(double baseLr, int tMax, double etaMin = 0) : ILrSchedule
{
    /// <summary>The initial learning rate.</summary>
    public double BaseLr { get; } = baseLr;

    /// <summary>Steps from baseLr down to etaMin.</summary>
    public int TMax { get; } = tMax > 0 ? tMax : throw new ArgumentOutOfRangeException(nameof(tMax), tMax, "T_max must be positive");

    /// <summary>The final learning rate.</summary>
    public double EtaMin { get; } = etaMin;

    /// <inheritdoc/>
    public double LrAt(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step >= TMax) return EtaMin;
        return EtaMin + (BaseLr - EtaMin) * (1 + Math.Cos(Math.PI * step / TMax)) / 2;
    }
}
