using NanoFed.Federation.Partitioning;
using NanoFed.Nets.Data;

namespace NanoFed.Federation.Fl;

/// <summary>
/// The simulated devices of a run (Flower's <c>client_fn</c>): client c holds the training samples
/// <c>partition.Indices[c]</c> and is built on first use by the method's client factory, then kept, so a client's
/// own state (FedGKT's server logits) lasts from one of its rounds to the next.
/// </summary>
public sealed class ClientPopulation
{
    private readonly ImageDataset _train;
    private readonly Func<FlClientData, IFlClient> _create;
    private readonly IFlClient?[] _clients;

    /// <summary>The clients of <paramref name="partition"/> over <paramref name="train"/>, built by <paramref name="create"/>.</summary>
    public ClientPopulation(ImageDataset train, Partition partition, Normalization normalization, Func<FlClientData, IFlClient> create)
    {
        _train = train ?? throw new ArgumentNullException(nameof(train));
        Partition = partition ?? throw new ArgumentNullException(nameof(partition));
        Normalization = normalization ?? throw new ArgumentNullException(nameof(normalization));
        _create = create ?? throw new ArgumentNullException(nameof(create));
        foreach (var idx in partition.Indices)
            foreach (int i in idx)
                if ((uint)i >= (uint)train.Count) throw new ArgumentException($"partition index {i} is outside the training set of {train.Count}", nameof(partition));
        _clients = new IFlClient?[partition.Clients];
    }

    /// <summary>Which training samples each client holds.</summary>
    public Partition Partition { get; }

    /// <summary>Input normalisation shared by all clients (and the server's evaluation).</summary>
    public Normalization Normalization { get; }

    /// <summary>Number of clients (N).</summary>
    public int Count => _clients.Length;

    /// <summary>Client <paramref name="id"/>, built on first use.</summary>
    public IFlClient this[int id]
    {
        get
        {
            if ((uint)id >= (uint)_clients.Length) throw new ArgumentOutOfRangeException(nameof(id), id, $"there are {_clients.Length} clients");
            if (_clients[id] is { } client) return client;
            client = _create(new FlClientData(id, _train.Subset(Partition.Indices[id]), Normalization));
            if (client.Id != id) throw new InvalidOperationException($"the client factory built client {client.Id} when asked for {id}");
            return _clients[id] = client;
        }
    }
}
