namespace NanoFed.Federation.Topology;

/// <summary>
/// SGP's one-peer time-varying directed exponential graph (Assran et al., arXiv 1811.10792; specs/sparse-push.md):
/// at iteration t node i sends to (i + 2^(t mod (floor(log2(n − 1)) + 1))) mod n. For n = 8 the hop cycles 1, 2, 4.
/// Every step is a cyclic shift, so the uniform mixing matrix is doubly stochastic.
/// </summary>
public sealed class ExponentialGraph : ITopology
{
    private readonly int _hops;

    /// <summary>The exponential graph of <paramref name="n"/> ≥ 2 nodes.</summary>
    public ExponentialGraph(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 2);
        NodeCount = n;
        _hops = (int)Math.Floor(Math.Log2(n - 1)) + 1;
    }

    /// <inheritdoc/>
    public int NodeCount { get; }

    /// <inheritdoc/>
    public bool IsRegular => true;

    /// <inheritdoc/>
    public bool IsDynamic => NodeCount > 2;

    /// <summary>The hop 2^(t mod (floor(log2(n − 1)) + 1)) used at iteration t.</summary>
    public int Hop(long t) => 1 << (int)(t % _hops);

    /// <inheritdoc/>
    public int[] OutPeers(int i, long t)
    {
        TopologyChecks.Node(i, NodeCount, t);
        return [(i + Hop(t)) % NodeCount];
    }
}
