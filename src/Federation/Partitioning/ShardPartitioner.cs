namespace NanoFed.Federation.Partitioning;

/// <summary>
/// Label-shard split (McMahan et al. 2017, EcoFed's default, specs/ecofed.md): sort the samples by label (stably),
/// cut the sorted list into <see cref="Shards"/> contiguous shards of equal size, shuffle the shard ids and deal
/// them <see cref="ShardsPerClient"/> at a time: client i gets shuffled shards [i·spc, (i+1)·spc). A client thus
/// holds at most <see cref="ShardsPerClient"/> classes (more only if a shard straddles a class boundary, which
/// cannot happen when every class size is a multiple of the shard size). Requires N divisible by Shards and
/// Shards = Clients · ShardsPerClient. CIFAR-10: 500 shards of 100, 5 per client, 100 clients of 500.
/// </summary>
public sealed class ShardPartitioner : IPartitioner
{
    /// <summary>A shard split into <paramref name="shards"/> shards dealt <paramref name="shardsPerClient"/> to each client.</summary>
    public ShardPartitioner(int clients, int shards = 500, int shardsPerClient = 5)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clients);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shardsPerClient);
        if ((long)clients * shardsPerClient != shards)
            throw new ArgumentException($"{clients} clients x {shardsPerClient} shards each need {(long)clients * shardsPerClient} shards, got {shards}");
        Clients = clients;
        Shards = shards;
        ShardsPerClient = shardsPerClient;
    }

    /// <summary>Number of clients.</summary>
    public int Clients { get; }

    /// <summary>Number of shards.</summary>
    public int Shards { get; }

    /// <summary>Shards each client receives.</summary>
    public int ShardsPerClient { get; }

    /// <inheritdoc/>
    public Partition Split(ReadOnlySpan<int> labels, int classes, RngStream rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        PartitionChecks.Labels(labels, classes);
        if (labels.Length % Shards != 0)
            throw new ArgumentException($"{labels.Length} samples do not cut into {Shards} equal shards");
        int size = labels.Length / Shards;
        var sorted = PartitionChecks.SortedByLabel(labels, classes);
        var order = rng.Permutation(Shards);
        var indices = new int[Clients][];
        for (int i = 0; i < Clients; i++)
        {
            var mine = new int[ShardsPerClient * size];
            for (int j = 0; j < ShardsPerClient; j++)
                sorted.AsSpan(order[i * ShardsPerClient + j] * size, size).CopyTo(mine.AsSpan(j * size));
            indices[i] = mine;
        }
        return new Partition($"shards({Shards} x {size}, {ShardsPerClient} per client)", indices, labels, classes);
    }
}
