namespace NanoFed.Federation.Fl;

/// <summary>
/// Time-to-target figures of a run (the headline comparison of specs/ecofed.md): the first round whose primary
/// accuracy reaches a target, and with it the cumulative bytes and simulated time spent to get there.
/// </summary>
public static class TargetAccuracy
{
    /// <summary>The first round whose primary accuracy is at least <paramref name="target"/>, or null if none is.</summary>
    public static FlRoundMetrics? FirstReaching(IEnumerable<FlRoundMetrics> rounds, double target)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        if (!double.IsFinite(target)) throw new ArgumentException($"target accuracy must be finite, got {target}");
        return rounds.FirstOrDefault(r => r.Accuracy >= target);
    }

    /// <summary>The best primary accuracy of <paramref name="rounds"/> (NaN when there are none).</summary>
    public static double Best(IEnumerable<FlRoundMetrics> rounds)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        return rounds.Select(r => r.Accuracy).DefaultIfEmpty(double.NaN).Max();
    }

    /// <summary>Mean bytes per sampled client per round: all bytes over the sum of sampled clients of every round.</summary>
    public static double BytesPerClientRound(IReadOnlyList<FlRoundMetrics> rounds)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        long clientRounds = rounds.Sum(r => (long)r.Clients.Count);
        return clientRounds == 0 ? double.NaN : (double)rounds[^1].CumulativeBytes / clientRounds;
    }
}
