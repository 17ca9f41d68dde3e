namespace NanoFed.Federation.Partitioning;

/// <summary>
/// Sparse-Push's skew split (specs/sparse-push.md), s in [0, 1] (0 = IID, 1 = fully sorted): sort the samples by
/// label (stably); the first floor(s·|c|) samples of every class c go to a sorted pool (in class order), the rest
/// to a pool shuffled with the stream. With P and R the two pools' sizes, agent i takes the contiguous slice
/// [floor(i·P/n), floor((i+1)·P/n)) of the sorted pool and [floor(i·R/n), floor((i+1)·R/n)) of the shuffled one,
/// i.e. N/n·s and N/n·(1−s) samples when everything divides (the floors only spread remainders).
/// </summary>
public sealed class SkewPartitioner : IPartitioner
{
    /// <summary>A skew split over <paramref name="clients"/> agents with skew <paramref name="skew"/>.</summary>
    public SkewPartitioner(int clients, double skew)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clients);
        if (!(skew >= 0 && skew <= 1)) throw new ArgumentOutOfRangeException(nameof(skew), skew, "skew must be in [0, 1]");
        Clients = clients;
        Skew = skew;
    }

    /// <summary>Number of agents.</summary>
    public int Clients { get; }

    /// <summary>The skew s.</summary>
    public double Skew { get; }

    /// <inheritdoc/>
    public Partition Split(ReadOnlySpan<int> labels, int classes, RngStream rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        PartitionChecks.Labels(labels, classes);
        var sorted = PartitionChecks.SortedByLabel(labels, classes);
        var count = new int[classes];
        foreach (int l in labels) count[l]++;
        var sortedPool = new List<int>();
        var rest = new List<int>();
        int at = 0;
        for (int c = 0; c < classes; c++)
        {
            int take = (int)Math.Floor(Skew * count[c]);
            for (int j = 0; j < count[c]; j++) (j < take ? sortedPool : rest).Add(sorted[at + j]);
            at += count[c];
        }
        var shuffled = rest.ToArray();
        rng.Shuffle(shuffled.AsSpan());
        var a = PartitionChecks.Cut(sortedPool.ToArray(), Clients);
        var b = PartitionChecks.Cut(shuffled, Clients);
        var indices = new int[Clients][];
        for (int i = 0; i < Clients; i++) indices[i] = [.. a[i], .. b[i]];
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        return new Partition(string.Create(inv, $"skew({Skew})"), indices, labels, classes);
    }
}
