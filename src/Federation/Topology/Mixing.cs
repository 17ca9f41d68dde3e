using MathNet.Numerics.LinearAlgebra;

namespace NanoFed.Federation.Topology;

/// <summary>Mixing weights (STYLE rule 24): the weight node i applies at iteration t to itself and to each of its out-peers.</summary>
public interface IMixing
{
    /// <summary>The weight a_i(t) node <paramref name="i"/> keeps for itself and sends with to each out-peer.</summary>
    double Weight(ITopology topology, int i, long t);

    /// <summary>
    /// The entry W(t)[j, i] with which node <paramref name="i"/>'s value reaches node <paramref name="j"/>
    /// (j ∈ N_out(i, t)), or i's self weight when j = i. Weights that differ per edge (<see cref="MetropolisMixing"/>)
    /// override it; by default every edge and the self-loop carry a_i(t).
    /// </summary>
    double EdgeWeight(ITopology topology, int i, int j, long t) => Weight(topology, i, t);
}

/// <summary>
/// The uniform column-stochastic weights of push-sum (specs/sparse-push.md, "Push-sum core"; SGP, arXiv 1811.10792):
/// a = 1 / (|N_out(i, t)| + 1), the same for the self-loop and every out-edge.
/// </summary>
public sealed class UniformMixing : IMixing
{
    /// <summary>The shared instance.</summary>
    public static UniformMixing Instance { get; } = new();

    /// <inheritdoc/>
    public double Weight(ITopology topology, int i, long t) => 1.0 / (topology.OutPeers(i, t).Length + 1);
}

/// <summary>
/// The mixing matrix of a topology and its spectral quantities (MathNet.Numerics, double precision).
/// W(t)[j, i] = a_i(t) for j ∈ N_out(i, t) ∪ {i}: column i holds what node i sends, so W is column-stochastic and
/// the push-sum step is z(t + 1) = W(t) z(t).
/// </summary>
public static class MixingMatrix
{
    /// <summary>W(t) of <paramref name="topology"/> with <paramref name="mixing"/> weights (uniform by default), entry by entry from <see cref="IMixing.EdgeWeight"/>.</summary>
    public static Matrix<double> At(ITopology topology, long t, IMixing? mixing = null)
    {
        ArgumentNullException.ThrowIfNull(topology);
        mixing ??= UniformMixing.Instance;
        int n = topology.NodeCount;
        var w = Matrix<double>.Build.Dense(n, n);
        for (int i = 0; i < n; i++)
        {
            w[i, i] += mixing.EdgeWeight(topology, i, i, t);
            foreach (int j in topology.OutPeers(i, t)) w[j, i] += mixing.EdgeWeight(topology, i, j, t);
        }
        return w;
    }

    /// <summary>
    /// The product W(t0 + steps − 1) ⋯ W(t0 + 1) W(t0) of <paramref name="steps"/> consecutive mixing matrices: its
    /// <see cref="SpectralGap"/> is the gap of a whole period of a time-varying graph (a one-peer exponential graph
    /// has single-step gap 0 for hops that split the ring into cycles, but its period product for n = 2^m is J/n, gap 1).
    /// </summary>
    public static Matrix<double> Product(ITopology topology, long t0, int steps, IMixing? mixing = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var p = At(topology, t0, mixing);
        for (int s = 1; s < steps; s++) p = At(topology, t0 + s, mixing) * p;
        return p;
    }

    /// <summary>Column sums of <paramref name="w"/> (all 1 for a column-stochastic matrix).</summary>
    public static double[] ColumnSums(Matrix<double> w) => w.ColumnSums().ToArray();

    /// <summary>Row sums of <paramref name="w"/> (also all 1 when W is doubly stochastic).</summary>
    public static double[] RowSums(Matrix<double> w) => w.RowSums().ToArray();

    /// <summary>
    /// Spectral gap 1 − |λ₂(W)|, with |λ₂| the second largest eigenvalue modulus of W (general, possibly
    /// non-symmetric eigen-decomposition; the largest modulus is 1 for a column-stochastic W). This is the
    /// definition used throughout; for a directed W it measures the asymptotic per-step contraction of z(t) towards
    /// its stationary direction. For a time-varying graph it is the gap of the single step t.
    /// </summary>
    public static double SpectralGap(Matrix<double> w)
    {
        var moduli = w.Evd().EigenValues.Select(c => c.Magnitude).OrderByDescending(m => m).ToArray();
        return moduli.Length < 2 ? 1 : 1 - moduli[1];
    }

    /// <summary>
    /// The alternative for directed graphs: 1 − λ₂(WᵀW), i.e. 1 − σ₂(W)² with σ₂ the second largest singular value
    /// of W (symmetric eigen-problem). When W is doubly stochastic this is the one-step contraction factor of the
    /// disagreement ‖z − z̄‖² (Boyd et al., "Randomized gossip"); for a merely column-stochastic W it is reported as is.
    /// </summary>
    public static double SingularGap(Matrix<double> w)
    {
        var s = w.Svd(computeVectors: false).S.ToArray().OrderByDescending(v => v).ToArray();
        return s.Length < 2 ? 1 : 1 - s[1] * s[1];
    }
}
