using NanoFed.Nets.Optim;

namespace NanoFed.Federation.Decentralized;

/// <summary>
/// The learning-rate schedules of a decentralized run, stepped per iteration (P iterations per epoch, E epochs):
/// <list type="bullet">
/// <item>"multistep" (the default, the Sparse-Push authors' ResNet schedule): lr × 0.1 at every milestone epoch,
/// and the first W epochs at lr / 10.</item>
/// <item>"cosine": lr · (1 + cos(π s / (E P))) / 2 at iteration s, a tenth of that over the first W epochs.</item>
/// <item>"onecycle" (PyTorch's OneCycleLR, cosine phases, learning rate only): from lr / 25 up to lr over the first
/// W epochs (30% of the run when W = 0), then down to lr / 2.5·10⁵ at the end; it is its own warm-up.</item>
/// </list>
/// The cosine and one-cycle schedules depend on E, so a run that changes its epochs changes them.
/// </summary>
public static class GossipSchedule
{
    /// <summary>Every schedule name.</summary>
    public static readonly string[] Names = ["multistep", "cosine", "onecycle"];

    /// <summary>
    /// Schedule <paramref name="name"/> at peak <paramref name="lr"/> over <paramref name="epochs"/> epochs of
    /// <paramref name="perEpoch"/> iterations, with <paramref name="warmupEpochs"/> W and, for multistep, <paramref name="milestones"/>.
    /// </summary>
    public static ILrSchedule Create(string name, double lr, IReadOnlyList<int> milestones, int warmupEpochs, int epochs, int perEpoch)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(perEpoch, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupEpochs);
        int total = checked(epochs * perEpoch), warmup = checked(warmupEpochs * perEpoch);
        return name switch
        {
            "multistep" => new ConstantWarmup(new MultiStepLr(lr, milestones.Select(m => m * perEpoch)), warmup, 0.1),
            "cosine" => new ConstantWarmup(new CosineLr(lr, total), warmup, 0.1),
            "onecycle" => new OneCycleLr(lr, total, pctStart: warmupEpochs > 0 ? Math.Min(1, (double)warmupEpochs / epochs) : 0.3),
            _ => throw new ArgumentException($"--schedule: unknown schedule '{name}' (known: {string.Join(", ", Names)})"),
        };
    }
}
