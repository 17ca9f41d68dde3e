namespace NanoFed.Federation.Topology;

/// <summary>
/// Metropolis-Hastings weights of an undirected graph (the D-PSGD / CHOCO baselines; Lian et al., arXiv 1705.09056;
/// Koloskova et al., arXiv 1902.00340; Xiao and Boyd 2004): W_ij = 1 / (1 + max(deg_i, deg_j)) for neighbours i ~ j,
/// W_ii = 1 − Σ_j W_ij, all other entries 0, with deg_i = |N_out(i, t)|. W(t) is symmetric and doubly stochastic
/// whenever the graph is symmetric at t, which every call checks. When no neighbour of i has a larger degree (every
/// node of a regular graph), column i is uniform and W_ii is exactly 1 / (1 + deg_i), as with <see cref="UniformMixing"/>.
/// </summary>
public sealed class MetropolisMixing : IMixing
{
    /// <summary>The shared instance.</summary>
    public static MetropolisMixing Instance { get; } = new();

    /// <summary>
    /// The single weight of a sender whose column is uniform, 1 / (1 + deg_i); throws an
    /// <see cref="InvalidOperationException"/> when i's edges carry different weights (a neighbour has a larger degree),
    /// because a protocol with one weight per sender would then not mix with W. Such protocols use <see cref="EdgeWeight"/>.
    /// </summary>
    public double Weight(ITopology topology, int i, long t)
    {
        var peers = SymmetricPeers(topology, i, t);
        foreach (int j in peers)
        {
            int degree = topology.OutPeers(j, t).Length;
            if (degree > peers.Length)
                throw new InvalidOperationException($"Metropolis weights of node {i} at iteration {t} differ per edge (neighbour {j} has degree {degree} > {peers.Length}); use EdgeWeight");
        }
        return 1.0 / (peers.Length + 1);
    }

    /// <inheritdoc/>
    public double EdgeWeight(ITopology topology, int i, int j, long t)
    {
        var peers = SymmetricPeers(topology, i, t);
        if (j != i)
        {
            if (Array.BinarySearch(peers, j) < 0) throw new ArgumentException($"node {j} is not a neighbour of node {i} at iteration {t}", nameof(j));
            return 1.0 / (1 + Math.Max(peers.Length, topology.OutPeers(j, t).Length));
        }
        double sum = 0;
        bool uniform = true;
        foreach (int p in peers)
        {
            int degree = topology.OutPeers(p, t).Length;
            uniform &= degree <= peers.Length;
            sum += 1.0 / (1 + Math.Max(peers.Length, degree));
        }
        return uniform ? 1.0 / (peers.Length + 1) : 1 - sum;
    }

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> unless <paramref name="topology"/> is symmetric at iteration
    /// <paramref name="t"/> (j ∈ N_out(i, t) ⇔ i ∈ N_out(j, t)), naming the first one-way edge.
    /// </summary>
    public static void CheckSymmetric(ITopology topology, long t)
    {
        ArgumentNullException.ThrowIfNull(topology);
        for (int i = 0; i < topology.NodeCount; i++) SymmetricPeers(topology, i, t);
    }

    /// <summary>N_out(i, t), after checking that each of these peers also sends to i.</summary>
    private static int[] SymmetricPeers(ITopology topology, int i, long t)
    {
        ArgumentNullException.ThrowIfNull(topology);
        var peers = topology.OutPeers(i, t);
        foreach (int j in peers)
            if (Array.BinarySearch(topology.OutPeers(j, t), i) < 0)
                throw new ArgumentException($"{topology.GetType().Name} is not symmetric at iteration {t}: node {i} sends to {j} but {j} does not send to {i}; Metropolis weights need an undirected graph", nameof(topology));
        return peers;
    }
}
