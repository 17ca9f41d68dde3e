namespace NanoFed.Nets.Optim;

/// <summary>
/// <c>torch.optim.lr_scheduler.MultiStepLR</c>: lr = baseLr · gamma^(number of milestones ≤ step)
/// (e.g. ResNet on CIFAR: 0.1, ×0.1 at epochs 100 and 150).
/// </summary>
public sealed class MultiStepLr : ILrSchedule
{
    private readonly int[] _milestones;

    /// <summary>A schedule from <paramref name="baseLr"/>, multiplied by <paramref name="gamma"/> at each milestone.</summary>
    public MultiStepLr(double baseLr, IEnumerable<int> milestones, double gamma = 0.1)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        BaseLr = baseLr;
        Gamma = gamma;
        _milestones = milestones.Order().ToArray();
    }

    /// <summary>The initial learning rate.</summary>
    public double BaseLr { get; }

    /// <summary>The factor applied at each milestone.</summary>
    public double Gamma { get; }

    /// <summary>Steps at which the rate drops (sorted; a repeated milestone drops twice, as in PyTorch).</summary>
    public IReadOnlyList<int> Milestones => _milestones;

    /// <inheritdoc/>
    public double LrAt(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        double lr = BaseLr;
        foreach (int m in _milestones)
        {
            if (m <= step) lr *= Gamma;
        }
        return lr;
    }
}
