namespace NanoFed.Federation.Gossip;

/// <summary>One consensus step γ tried by <see cref="ConsensusTuner"/>.</summary>
/// <param name="Gamma">γ.</param>
/// <param name="Iterations">Gossip iterations run (fewer than asked when the error diverged first).</param>
/// <param name="InitialError">(1/n) Σ_i ‖x_i − x̄‖² of the random start.</param>
/// <param name="FinalError">The same after <paramref name="Iterations"/> iterations (may be infinite or NaN).</param>
public sealed record GammaTrial(float Gamma, int Iterations, double InitialError, double FinalError)
{
    /// <summary>FinalError / InitialError.</summary>
    public double Ratio => FinalError / InitialError;

    /// <summary>Whether the error stayed finite and ended no larger than it started.</summary>
    public bool Stable => double.IsFinite(FinalError) && FinalError <= InitialError;
}

/// <summary>
/// Chooses the consensus step γ of a compressed gossip protocol by simulation, without training (in the spirit of
/// CHOCO-SGD's tune_consensus_stepsize.py, epfml/ChocoSGD): n nodes start from independent N(0, 1) vectors of the
/// model's size and tensor layout, run T iterations of the protocol built for each γ (the same graph, compressor and
/// update rule as the run, through <see cref="GossipLoop.Step"/>), and the final consensus error
/// e(T) = (1/n) Σ_i ‖x_i − x̄‖² (x_i = z_i / w_i, x̄ their mean) is compared with e(0). The best γ is the one with the
/// lowest e(T) among the stable ones (e stayed finite and e(T) ≤ e(0)). Every γ starts from the same vectors, and a
/// seed gives the same trials. With quasi-global momentum μ (the training runs' <c>--quasi-global-momentum</c>) each
/// node also keeps the buffer u = η·m̂ and, before each gossip, takes the step such a run takes with a zero gradient:
/// x ← x − μ·u, then u ← μ·u + (1 − μ)·(x_before − x_after) (Decentralized.QuasiGlobalMomentum with g = 0; η cancels).
/// The buffer feeds the consensus moves back into later steps, about 1/(1 − μ) times over, so a γ that is stable
/// alone can diverge with it.
/// </summary>
public sealed class ConsensusTuner
{
    /// <summary>A trial stops early, as diverged, once e exceeds this multiple of e(0).</summary>
    public const double DivergenceFactor = 1e6;

    private const int Checks = 10;

    private readonly Func<float, IGossip> _protocol;
    private readonly ulong _seed;

    /// <summary>
    /// A tuner of the protocols <paramref name="protocol"/>(γ) over vectors split as <paramref name="layout"/>, each run
    /// for <paramref name="iterations"/> iterations from N(0, 1) starts drawn from <paramref name="seed"/>, with
    /// quasi-global momentum <paramref name="quasiGlobalMomentum"/> (0: none; else in (0, 1)).
    /// </summary>
    public ConsensusTuner(Func<float, IGossip> protocol, TensorLayout layout, int iterations, ulong seed = 0, double quasiGlobalMomentum = 0)
    {
        _protocol = protocol ?? throw new ArgumentNullException(nameof(protocol));
        Layout = layout ?? throw new ArgumentNullException(nameof(layout));
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        if (!(quasiGlobalMomentum >= 0 && quasiGlobalMomentum < 1))
            throw new ArgumentOutOfRangeException(nameof(quasiGlobalMomentum), quasiGlobalMomentum, "quasi-global momentum must be in [0, 1)");
        (Iterations, _seed, QuasiGlobalMomentum) = (iterations, seed, quasiGlobalMomentum);
    }

    /// <summary>μ of the simulated quasi-global momentum, 0 for none.</summary>
    public double QuasiGlobalMomentum { get; }

    /// <summary>Tensor split of the vectors (the model's).</summary>
    public TensorLayout Layout { get; }

    /// <summary>T.</summary>
    public int Iterations { get; }

    /// <summary>
    /// Runs γ = <paramref name="gamma"/> for <see cref="Iterations"/> iterations (e is checked ten times on the way, and
    /// a trial whose e is no longer finite or exceeds <see cref="DivergenceFactor"/>·e(0) stops there).
    /// </summary>
    public GammaTrial Trial(float gamma)
    {
        var protocol = _protocol(gamma);
        int n = protocol.Topology.NodeCount;
        var nodes = new GossipNode[n];
        var x = new float[Layout.Total];
        for (int i = 0; i < n; i++)
        {
            new RngStream(_seed, (ulong)i).FillNormal(x);
            nodes[i] = protocol.CreateNode(x);
        }
        double initial = Error(nodes), error = initial;
        var momentum = QuasiGlobalMomentum > 0 ? new MomentumSteps(n, Layout.Total, (float)QuasiGlobalMomentum) : null;
        int t = 0;
        for (int c = 1; c <= Checks && t < Iterations; c++)
        {
            for (int end = (int)((long)Iterations * c / Checks); t < end; t++)
            {
                momentum?.Step(nodes);
                GossipLoop.Step(protocol, nodes, t);
                momentum?.Update(nodes);
            }
            error = Error(nodes);
            if (!(error <= DivergenceFactor * initial)) break;
        }
        return new GammaTrial(gamma, t, initial, error);
    }

    /// <summary>The buffers u_i = η·m̂_i of quasi-global momentum with a zero gradient, and each node's x before its step.</summary>
    private sealed class MomentumSteps(int nodes, int length, float mu)
    {
        private readonly float[][] _u = [.. Enumerable.Range(0, nodes).Select(_ => new float[length])];
        private readonly float[][] _before = [.. Enumerable.Range(0, nodes).Select(_ => new float[length])];

        /// <summary>x_i ← x_i − μ·u_i (as z_i = w_i·x_i), remembering x_i.</summary>
        public void Step(GossipNode[] nodes)
        {
            for (int i = 0; i < nodes.Length; i++)
            {
                var (z, u, before) = (nodes[i].Z, _u[i], _before[i]);
                float w = nodes[i].W;
                for (int k = 0; k < z.Length; k++)
                {
                    before[k] = z[k] / w;
                    z[k] = w * (before[k] - mu * u[k]);
                }
            }
        }

        /// <summary>u_i ← μ·u_i + (1 − μ)·(x_before − x_after).</summary>
        public void Update(GossipNode[] nodes)
        {
            for (int i = 0; i < nodes.Length; i++)
            {
                var (z, u, before) = (nodes[i].Z, _u[i], _before[i]);
                float w = nodes[i].W;
                for (int k = 0; k < z.Length; k++) u[k] = mu * u[k] + (1 - mu) * (before[k] - z[k] / w);
            }
        }
    }

    /// <summary>A <see cref="Trial"/> for every γ of <paramref name="gammas"/>, in order.</summary>
    public GammaTrial[] Sweep(IEnumerable<float> gammas)
    {
        ArgumentNullException.ThrowIfNull(gammas);
        return gammas.Select(Trial).ToArray();
    }

    /// <summary>The stable trial with the lowest final error (the first of equals), or null when none is stable.</summary>
    public static GammaTrial? Best(IEnumerable<GammaTrial> trials)
    {
        ArgumentNullException.ThrowIfNull(trials);
        GammaTrial? best = null;
        foreach (var trial in trials)
            if (trial.Stable && (best is null || trial.FinalError < best.FinalError)) best = trial;
        return best;
    }

    /// <summary>e = (1/n) Σ_i ‖x_i − x̄‖², from <see cref="GossipLoop.ConsensusDistance"/> (its square times d).</summary>
    public static double Error(GossipNode[] nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        double distance = GossipLoop.ConsensusDistance(nodes);
        return distance * distance * nodes[0].Z.Length;
    }
}
