namespace NanoFed.Federation.Topology;

/// <summary>
/// A communication graph over <see cref="NodeCount"/> agents, possibly changing with the iteration t (STYLE rule 24):
/// who agent i sends to at iteration t. Implementations are pure and deterministic (the same (i, t) always gives the
/// same peers, randomness comes from a seed) and never touch the network.
/// </summary>
public interface ITopology
{
    /// <summary>Number of agents n; nodes are 0..n−1.</summary>
    int NodeCount { get; }

    /// <summary>
    /// True when at every t every node has the same out-degree d and in-degree d, so the uniform mixing matrix
    /// (<see cref="UniformMixing"/>) is doubly stochastic and push-sum weights stay 1.
    /// </summary>
    bool IsRegular { get; }

    /// <summary>True when <see cref="OutPeers"/> depends on t.</summary>
    bool IsDynamic { get; }

    /// <summary>The distinct out-neighbours N_out(i, t) of node <paramref name="i"/> at iteration <paramref name="t"/>, never i itself, in increasing order.</summary>
    int[] OutPeers(int i, long t);
}

/// <summary>Argument checks shared by the topologies.</summary>
internal static class TopologyChecks
{
    public static void Node(int i, int n, long t)
    {
        if ((uint)i >= (uint)n) throw new ArgumentOutOfRangeException(nameof(i), $"node {i} is not in 0..{n - 1}");
        ArgumentOutOfRangeException.ThrowIfNegative(t);
    }

    public static int[] Sorted(params int[] peers)
    {
        var distinct = peers.Distinct().ToArray();
        Array.Sort(distinct);
        return distinct;
    }
}
