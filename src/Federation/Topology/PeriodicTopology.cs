namespace NanoFed.Federation.Topology;

/// <summary>
/// A graph used once every H iterations (local steps between gossips, as in Koloskova et al., ICML 2020, "A unified
/// theory of decentralized SGD with changing topology and local updates"): iteration t is a gossip round when
/// (t + 1) mod H = 0, and then node i sends to <see cref="Graph"/>'s peers of round r = ⌊t / H⌋; at every other
/// iteration it sends to nobody. A time-varying graph (the one-peer exponential graph) so cycles through its peers
/// once per gossip round, as it does with H = 1.
/// </summary>
public sealed class PeriodicTopology : ITopology
{
    /// <summary><paramref name="graph"/> used at every <paramref name="every"/>-th iteration (H ≥ 1).</summary>
    public PeriodicTopology(ITopology graph, int every)
    {
        Graph = graph ?? throw new ArgumentNullException(nameof(graph));
        ArgumentOutOfRangeException.ThrowIfLessThan(every, 1);
        Every = every;
    }

    /// <summary>The graph of the gossip rounds.</summary>
    public ITopology Graph { get; }

    /// <summary>H: iterations per gossip round.</summary>
    public int Every { get; }

    /// <inheritdoc/>
    public int NodeCount => Graph.NodeCount;

    /// <inheritdoc/>
    public bool IsRegular => Graph.IsRegular;

    /// <inheritdoc/>
    public bool IsDynamic => Every > 1 || Graph.IsDynamic;

    /// <summary>Whether iteration <paramref name="t"/> is a gossip round: (t + 1) mod H = 0.</summary>
    public bool IsRound(long t)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(t);
        return (t + 1) % Every == 0;
    }

    /// <inheritdoc/>
    public int[] OutPeers(int i, long t)
    {
        TopologyChecks.Node(i, NodeCount, t);
        return IsRound(t) ? Graph.OutPeers(i, t / Every) : [];
    }

    /// <summary>The graph every round of <paramref name="topology"/> uses: <see cref="Graph"/> of a periodic one, else itself.</summary>
    public static ITopology Underlying(ITopology topology) => topology is PeriodicTopology p ? p.Graph : topology;
}
