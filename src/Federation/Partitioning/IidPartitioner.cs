namespace NanoFed.Federation.Partitioning;

/// <summary>
/// IID split: a uniformly random permutation of all samples cut into <see cref="Clients"/> contiguous slices,
/// client i taking [floor(i·N/n), floor((i+1)·N/n)) (sizes differ by at most one).
/// </summary>
public sealed class IidPartitioner(int clients) : IPartitioner
{
    /// <summary>Number of clients.</summary>
    public int Clients { get; } = clients > 0 ? clients : throw new ArgumentOutOfRangeException(nameof(clients), clients, "need at least one client");

    /// <inheritdoc/>
    public Partition Split(ReadOnlySpan<int> labels, int classes, RngStream rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        PartitionChecks.Labels(labels, classes);
        var order = rng.Permutation(labels.Length);
        return new Partition($"iid({Clients})", PartitionChecks.Cut(order, Clients), labels, classes);
    }
}
