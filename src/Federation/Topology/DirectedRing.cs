namespace NanoFed.Federation.Topology;

/// <summary>Directed ring (specs/sparse-push.md, "Graphs"): node i sends to i + 1 mod n at every iteration.</summary>
public sealed class DirectedRing : ITopology
{
    /// <summary>A directed ring of <paramref name="n"/> ≥ 2 nodes.</summary>
    public DirectedRing(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 2);
        NodeCount = n;
    }

    /// <inheritdoc/>
    public int NodeCount { get; }

    /// <inheritdoc/>
    public bool IsRegular => true;

    /// <inheritdoc/>
    public bool IsDynamic => false;

    /// <inheritdoc/>
    public int[] OutPeers(int i, long t)
    {
        TopologyChecks.Node(i, NodeCount, t);
        return [(i + 1) % NodeCount];
    }
}
