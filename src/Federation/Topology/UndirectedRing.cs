namespace NanoFed.Federation.Topology;

/// <summary>Undirected ring (the D-PSGD / CHOCO baseline of specs/sparse-push.md): node i sends to i − 1 and i + 1 mod n.</summary>
public sealed class UndirectedRing : ITopology
{
    /// <summary>An undirected ring of <paramref name="n"/> ≥ 2 nodes (n = 2 gives a single edge).</summary>
    public UndirectedRing(int n)
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
        return TopologyChecks.Sorted((i + NodeCount - 1) % NodeCount, (i + 1) % NodeCount);
    }
}
