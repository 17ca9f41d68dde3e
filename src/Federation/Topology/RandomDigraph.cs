namespace NanoFed.Federation.Topology;

/// <summary>
/// Random directed graph of out-degree d, re-drawn every <c>T</c> iterations (specs/sparse-push.md, "Graphs"):
/// in epoch e = t / T node i sends to the first d entries of a partial Fisher-Yates shuffle of the other n − 1
/// nodes drawn from the stream (seed, e).Split(i). In-degrees vary, so the graph is not regular: the uniform
/// mixing matrix is column-stochastic only and push-sum weights move away from 1.
/// </summary>
public sealed class RandomDigraph : ITopology
{
    private readonly ulong _seed;

    /// <summary>Out-degree <paramref name="d"/> (1 ≤ d ≤ n − 1) over <paramref name="n"/> nodes, re-drawn every <paramref name="period"/> iterations.</summary>
    public RandomDigraph(int n, int d, int period, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 2);
        if (d < 1 || d > n - 1) throw new ArgumentOutOfRangeException(nameof(d), $"out-degree {d} must be in 1..{n - 1}");
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        (NodeCount, Degree, Period, _seed) = (n, d, period, seed);
    }

    /// <inheritdoc/>
    public int NodeCount { get; }

    /// <summary>Out-degree d.</summary>
    public int Degree { get; }

    /// <summary>Iterations T between re-draws.</summary>
    public int Period { get; }

    /// <inheritdoc/>
    public bool IsRegular => Degree == NodeCount - 1;

    /// <inheritdoc/>
    public bool IsDynamic => Degree < NodeCount - 1;

    /// <inheritdoc/>
    public int[] OutPeers(int i, long t)
    {
        TopologyChecks.Node(i, NodeCount, t);
        var rng = new RngStream(_seed, (ulong)(t / Period)).Split((ulong)i);
        var others = new int[NodeCount - 1];
        for (int j = 0; j < others.Length; j++) others[j] = j < i ? j : j + 1;
        for (int j = 0; j < Degree; j++)
        {
            int r = j + rng.NextInt(others.Length - j);
            (others[j], others[r]) = (others[r], others[j]);
        }
        return TopologyChecks.Sorted(others[..Degree]);
    }
}
