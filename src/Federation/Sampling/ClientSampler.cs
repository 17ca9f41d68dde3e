namespace NanoFed.Federation.Sampling;

/// <summary>
/// Samples <see cref="PerRound"/> of <see cref="Clients"/> clients without replacement each round. Round r uses the
/// stream <c>new RngStream(Seed, Stream).Split(r)</c> from its start, so a round's choice depends only on
/// (seed, stream, round), not on which rounds were sampled before. Partial Fisher-Yates: for j = 0..K−1 swap
/// slot j with slot j + NextInt(N − j) of the identity array; the first K slots, sorted ascending, are the result
/// (ascending order gives aggregation a fixed client order).
/// </summary>
public sealed class ClientSampler
{
    /// <summary>A sampler of <paramref name="perRound"/> of <paramref name="clients"/> clients keyed by (<paramref name="seed"/>, <paramref name="stream"/>).</summary>
    public ClientSampler(int clients, int perRound, ulong seed, ulong stream = 0x5A3F1E)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clients);
        if (perRound < 0 || perRound > clients)
            throw new ArgumentOutOfRangeException(nameof(perRound), perRound, $"must sample between 0 and {clients} clients");
        Clients = clients;
        PerRound = perRound;
        Seed = seed;
        Stream = stream;
    }

    /// <summary>N, the number of clients.</summary>
    public int Clients { get; }

    /// <summary>K, the clients sampled per round.</summary>
    public int PerRound { get; }

    /// <summary>The seed.</summary>
    public ulong Seed { get; }

    /// <summary>The base stream id (round r uses its <see cref="RngStream.Split"/>(r)).</summary>
    public ulong Stream { get; }

    /// <summary>The clients of round <paramref name="round"/>: K distinct ids in [0, N), ascending.</summary>
    public int[] Sample(int round)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(round);
        var rng = new RngStream(Seed, Stream).Split((ulong)round);
        var slots = new int[Clients];
        for (int i = 0; i < Clients; i++) slots[i] = i;
        for (int j = 0; j < PerRound; j++)
        {
            int k = j + rng.NextInt(Clients - j);
            (slots[j], slots[k]) = (slots[k], slots[j]);
        }
        var chosen = slots[..PerRound];
        Array.Sort(chosen);
        return chosen;
    }
}
