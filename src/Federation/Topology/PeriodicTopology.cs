namespace NanoFed.Federation.Topology;

/// <summary>
/// A graph used at B consecutive iterations of every H (local steps between gossips, as in Koloskova et al., ICML 2020,
/// "A unified theory of decentralized SGD with changing topology and local updates"), H possibly changing from one
/// phase of the run to the next: in the phase that starts at iteration S with period H, iteration t is a gossip round
/// when (t − S) mod H ≥ H − B, the last B iterations of each period, and then node i sends to <see cref="Graph"/>'s
/// peers of round r, the number of gossip rounds before t; at every other iteration it sends to nobody. A time-varying
/// graph (the one-peer exponential graph) so cycles through its peers once per gossip round, as it does with H = 1:
/// on 2^k nodes, a burst of B = k rounds averages the models exactly, up to the gradient steps taken between its
/// rounds. A phase's last period may be cut short by the next phase, which starts its own count.
/// </summary>
public sealed class PeriodicTopology : ITopology
{
    private readonly long[] _starts;
    private readonly int[] _every;
    private readonly long[] _roundsBefore;

    /// <summary><paramref name="graph"/> used at every <paramref name="every"/>-th iteration (H ≥ 1).</summary>
    public PeriodicTopology(ITopology graph, int every) : this(graph, [every], [0]) { }

    /// <summary>
    /// <paramref name="graph"/> used at the last <paramref name="burst"/> iterations of every <paramref name="every"/>[k]
    /// in phase k, which starts at iteration <paramref name="starts"/>[k] (0 first, increasing) and ends where the next
    /// starts; 1 ≤ B ≤ every H.
    /// </summary>
    public PeriodicTopology(ITopology graph, IReadOnlyList<int> every, IReadOnlyList<long> starts, int burst = 1)
    {
        Graph = graph ?? throw new ArgumentNullException(nameof(graph));
        ArgumentNullException.ThrowIfNull(every);
        ArgumentNullException.ThrowIfNull(starts);
        if (every.Count == 0 || every.Count != starts.Count) throw new ArgumentException($"{every.Count} periods for {starts.Count} phase starts", nameof(every));
        if (every.Any(h => h < 1)) throw new ArgumentOutOfRangeException(nameof(every), "every period must be at least 1");
        if (burst < 1 || every.Any(h => h < burst)) throw new ArgumentOutOfRangeException(nameof(burst), $"a burst of {burst} rounds must be at least 1 and fit in every period");
        if (starts[0] != 0 || starts.Zip(starts.Skip(1)).Any(p => p.Second <= p.First))
            throw new ArgumentException("phases must start at 0 and then at increasing iterations", nameof(starts));
        (_every, _starts, Burst) = ([.. every], [.. starts], burst);
        _roundsBefore = new long[_every.Length];
        for (int k = 1; k < _every.Length; k++) _roundsBefore[k] = _roundsBefore[k - 1] + RoundsIn(k - 1, _starts[k] - _starts[k - 1]);
    }

    /// <summary>The graph of the gossip rounds.</summary>
    public ITopology Graph { get; }

    /// <summary>H of each phase.</summary>
    public IReadOnlyList<int> Every => _every;

    /// <summary>B, the consecutive gossip rounds that end every period.</summary>
    public int Burst { get; }

    /// <inheritdoc/>
    public int NodeCount => Graph.NodeCount;

    /// <inheritdoc/>
    public bool IsRegular => Graph.IsRegular;

    /// <inheritdoc/>
    public bool IsDynamic => _every.Any(h => h > Burst) || Graph.IsDynamic;

    /// <summary>Whether iteration <paramref name="t"/> is a gossip round: (t − S) mod H ≥ H − B in its phase.</summary>
    public bool IsRound(long t)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(t);
        int k = Phase(t);
        return (t - _starts[k]) % _every[k] >= _every[k] - Burst;
    }

    /// <summary>The number of gossip rounds before iteration <paramref name="t"/>: the round index of t when it is one.</summary>
    public long RoundsBefore(long t)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(t);
        int k = Phase(t);
        return _roundsBefore[k] + RoundsIn(k, t - _starts[k]);
    }

    /// <inheritdoc/>
    public int[] OutPeers(int i, long t)
    {
        TopologyChecks.Node(i, NodeCount, t);
        return IsRound(t) ? Graph.OutPeers(i, RoundsBefore(t)) : [];
    }

    /// <summary>The graph every round of <paramref name="topology"/> uses: <see cref="Graph"/> of a periodic one, else itself.</summary>
    public static ITopology Underlying(ITopology topology) => topology is PeriodicTopology p ? p.Graph : topology;

    /// <summary>The gossip rounds among the first <paramref name="iterations"/> of phase <paramref name="k"/>.</summary>
    private long RoundsIn(int k, long iterations) =>
        iterations / _every[k] * Burst + Math.Max(0, iterations % _every[k] - (_every[k] - Burst));

    private int Phase(long t)
    {
        int k = Array.BinarySearch(_starts, t);
        return k >= 0 ? k : ~k - 1;
    }
}
