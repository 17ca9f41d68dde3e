using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Fl;

/// <summary>
/// One client's stored activations in EcoFed's replay buffer: the quantized batches as they arrived (kept encoded,
/// a quarter of the float32 size at 8 bits) and the labels in the same order. <see cref="Decode"/> gives the
/// de-quantized values the server trains on.
/// </summary>
public sealed class ReplayEntry
{
    /// <summary>An entry of <paramref name="batches"/> (each (n_j, C, H, W), same per-sample shape) and their labels, in order.</summary>
    public ReplayEntry(int client, IReadOnlyList<WireTensor> batches, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(labels);
        int count = 0;
        foreach (var b in batches)
        {
            if (b.Shape.Rank < 2 || !b.Shape.ToArray().AsSpan(1).SequenceEqual(batches[0].Shape.ToArray().AsSpan(1)))
                throw new ArgumentException($"client {client}: activation batch {b} does not match the first batch {batches[0]}");
            count += b.Shape[0];
        }
        if (count != labels.Count) throw new ArgumentException($"client {client}: {count} activations but {labels.Count} labels");
        Client = client;
        Batches = batches;
        Labels = labels.ToArray();
    }

    /// <summary>The client the activations came from.</summary>
    public int Client { get; }

    /// <summary>The activation batches as received (wire encoding kept).</summary>
    public IReadOnlyList<WireTensor> Batches { get; }

    /// <summary>The labels, one per sample, in batch order.</summary>
    public IReadOnlyList<int> Labels { get; }

    /// <summary>Number of samples n_k.</summary>
    public int Count => Labels.Count;

    /// <summary>The shape of one sample's activations (C, H, W); empty for an entry without samples.</summary>
    public Shape SampleShape => Batches.Count == 0 ? new Shape() : new Shape(Batches[0].Shape.ToArray().AsSpan(1));

    /// <summary>Every sample's de-quantized activations, (n_k, C, H, W) flattened in batch order: what the server trains on.</summary>
    public float[] Decode()
    {
        var all = new float[(long)Count * SampleShape.Length];
        int at = 0;
        foreach (var b in Batches)
        {
            b.Decode(all.AsSpan(at, b.Shape.Length));
            at += b.Shape.Length;
        }
        return all;
    }
}

/// <summary>
/// EcoFed's server-side replay buffer (specs/ecofed.md, method 5): at most one entry per client, a new entry
/// replacing the client's previous one and counting as the newest; with a capacity, storing past it evicts the
/// oldest entry. <see cref="Sample"/> draws entries for a replay round without replacement.
/// </summary>
public sealed class ReplayBuffer
{
    private readonly LinkedList<ReplayEntry> _byAge = [];
    private readonly Dictionary<int, LinkedListNode<ReplayEntry>> _byClient = [];

    /// <summary>A buffer holding at most <paramref name="capacity"/> entries (null: unbounded).</summary>
    public ReplayBuffer(int? capacity = null)
    {
        if (capacity is <= 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "capacity must be positive (or null for unbounded)");
        Capacity = capacity;
    }

    /// <summary>Most entries kept; null for unbounded.</summary>
    public int? Capacity { get; }

    /// <summary>Entries held.</summary>
    public int Count => _byClient.Count;

    /// <summary>The clients with an entry, oldest entry first.</summary>
    public IEnumerable<int> Clients => _byAge.Select(e => e.Client);

    /// <summary>The entry of <paramref name="client"/>; throws if it has none.</summary>
    public ReplayEntry this[int client] =>
        _byClient.TryGetValue(client, out var node) ? node.Value : throw new KeyNotFoundException($"the replay buffer holds no entry of client {client}");

    /// <summary>Whether <paramref name="client"/> has an entry.</summary>
    public bool Contains(int client) => _byClient.ContainsKey(client);

    /// <summary>Stores <paramref name="entry"/>, replacing its client's entry; evicts the oldest entry beyond the capacity.</summary>
    public void Put(ReplayEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (_byClient.Remove(entry.Client, out var old)) _byAge.Remove(old);
        _byClient[entry.Client] = _byAge.AddLast(entry);
        if (Capacity is int cap && _byAge.Count > cap)
        {
            _byClient.Remove(_byAge.First!.Value.Client);
            _byAge.RemoveFirst();
        }
    }

    /// <summary>
    /// min(<paramref name="k"/>, <see cref="Count"/>) distinct entries drawn uniformly without replacement from
    /// <paramref name="rng"/> (a partial Fisher-Yates shuffle of the entries in client order), returned in client order.
    /// </summary>
    public IReadOnlyList<ReplayEntry> Sample(int k, RngStream rng)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentNullException.ThrowIfNull(rng);
        var pool = _byClient.Values.Select(n => n.Value).OrderBy(e => e.Client).ToArray();
        int take = Math.Min(k, pool.Length);
        for (int i = 0; i < take; i++)
        {
            int j = i + rng.NextInt(pool.Length - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        return pool.Take(take).OrderBy(e => e.Client).ToList();
    }
}
