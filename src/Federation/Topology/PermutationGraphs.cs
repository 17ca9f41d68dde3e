namespace NanoFed.Federation.Topology;

/// <summary>
/// Rotating permutation graphs (specs/sparse-push.md, "Graphs"): a fixed set of <c>count</c> derangements π_p of
/// 0..n−1 drawn once from the stream (seed, 0).Split(p) (re-drawn with Split(attempt) until there is no fixed point);
/// at iteration t node i sends to π_p(i) with p = (t / period) mod count. Each step is a permutation, so the
/// uniform mixing matrix is doubly stochastic.
/// </summary>
public sealed class PermutationGraphs : ITopology
{
    private readonly int[][] _perms;
    private readonly int _period;

    /// <summary><paramref name="count"/> derangements of <paramref name="n"/> ≥ 2 nodes, each used for <paramref name="period"/> iterations.</summary>
    public PermutationGraphs(int n, int count, int period, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        NodeCount = n;
        _period = period;
        _perms = new int[count][];
        var root = new RngStream(seed, 0);
        for (int p = 0; p < count; p++)
        {
            var s = root.Split((ulong)p);
            for (ulong attempt = 0; _perms[p] is null || HasFixedPoint(_perms[p]); attempt++) _perms[p] = s.Split(attempt).Permutation(n);
        }
    }

    /// <inheritdoc/>
    public int NodeCount { get; }

    /// <inheritdoc/>
    public bool IsRegular => true;

    /// <inheritdoc/>
    public bool IsDynamic => _perms.Length > 1;

    /// <inheritdoc/>
    public int[] OutPeers(int i, long t)
    {
        TopologyChecks.Node(i, NodeCount, t);
        return [_perms[(int)(t / _period % _perms.Length)][i]];
    }

    private static bool HasFixedPoint(int[] p)
    {
        for (int i = 0; i < p.Length; i++) if (p[i] == i) return true;
        return false;
    }
}
