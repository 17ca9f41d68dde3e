namespace NanoFed.Federation.Partitioning;

/// <summary>
/// Draws the federated population from a pool of training samples, so that the rest of the training set (e.g. a
/// public split for pre-training EcoFed's front) stays out of every client's hands: <c>samples</c> indices are taken
/// uniformly at random from [start, end) with <c>rng.Split(0)</c> (the whole pool when it holds exactly that many),
/// put in index order, and split by the partitioner with <c>rng.Split(1)</c>. The resulting partition indexes the
/// whole training set.
/// </summary>
public static class PoolSplit
{
    /// <summary>Splits <paramref name="samples"/> samples of the pool [<paramref name="start"/>, <paramref name="end"/>) of <paramref name="labels"/>.</summary>
    public static Partition Split(IPartitioner partitioner, ReadOnlySpan<int> labels, int classes, int start, int end, int samples, RngStream rng)
    {
        ArgumentNullException.ThrowIfNull(partitioner);
        ArgumentNullException.ThrowIfNull(rng);
        if (start < 0 || end <= start || end > labels.Length)
            throw new ArgumentException($"client pool {start}:{end} is not a non-empty range inside the {labels.Length} training samples");
        if (samples <= 0 || samples > end - start)
            throw new ArgumentException($"{samples} client samples do not fit the client pool {start}:{end} of {end - start} samples");
        int[] chosen;
        if (samples == end - start)
        {
            chosen = Enumerable.Range(start, samples).ToArray();
        }
        else
        {
            chosen = rng.Split(0).Permutation(end - start)[..samples];
            Array.Sort(chosen);
            for (int i = 0; i < chosen.Length; i++) chosen[i] += start;
        }
        var poolLabels = new int[samples];
        for (int i = 0; i < samples; i++) poolLabels[i] = labels[chosen[i]];
        var local = partitioner.Split(poolLabels, classes, rng.Split(1));
        var indices = local.Indices.Select(client => client.Select(i => chosen[i]).ToArray()).ToArray();
        return new Partition($"{local.Method} of {samples} from pool {start}:{end}", indices, labels, classes);
    }
}
