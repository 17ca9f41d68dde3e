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
/// What a tuned run's agents do to their models between two gossips when every gradient is zero: all of the optimizer
/// that the consensus dynamics see. Plain SGD and local momentum leave the models alone. Quasi-global momentum keeps the
/// model's change across each iteration, consensus moves included, in its buffer and applies it again about
/// 1/(1 − β) times over; Global Update Tracking turns each consensus move into a correction of the next gradients,
/// which local momentum then applies through its buffer. Either can make a γ that is stable alone diverge.
/// Weight decay is left out (η·λ ≈ 10⁻⁵ contracts every node alike).
/// </summary>
/// <param name="Momentum">The optimizer's momentum β, in [0, 1).</param>
/// <param name="QuasiGlobal">Whether the momentum buffer is the quasi-global one (needs β &gt; 0).</param>
/// <param name="Nesterov">Whether the step is Nesterov's (needs β &gt; 0).</param>
/// <param name="UpdateTracking">μ of Global Update Tracking in (0, 1], or null for none.</param>
public sealed record AgentSteps(double Momentum = 0, bool QuasiGlobal = false, bool Nesterov = false, double? UpdateTracking = null)
{
    /// <summary>Gossip alone: plain SGD (or local momentum) with a zero gradient does not move a model.</summary>
    public bool MoveModels => QuasiGlobal || UpdateTracking is not null;

    internal void Validate()
    {
        if (!(Momentum >= 0 && Momentum < 1)) throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum, "momentum must be in [0, 1)");
        if ((QuasiGlobal || Nesterov) && Momentum == 0) throw new ArgumentException("quasi-global and Nesterov momentum need a momentum above 0", nameof(Momentum));
        if (UpdateTracking is { } mu && !(mu > 0 && mu <= 1))
            throw new ArgumentOutOfRangeException(nameof(UpdateTracking), mu, "update tracking needs a scaling in (0, 1]");
    }
}

/// <summary>
/// Chooses the consensus step γ of a compressed gossip protocol by simulation, without training (in the spirit of
/// CHOCO-SGD's tune_consensus_stepsize.py, epfml/ChocoSGD): n nodes start from independent N(0, 1) vectors of the
/// model's size and tensor layout, run T iterations of the protocol built for each γ (the same graph, compressor and
/// update rule as the run, through <see cref="GossipLoop.Step"/>), and the final consensus error
/// e(T) = (1/n) Σ_i ‖x_i − x̄‖² (x_i = z_i / w_i, x̄ their mean) is compared with e(0). The best γ is the one with the
/// lowest e(T) among the stable ones (e stayed finite and e(T) ≤ e(0)). Every γ starts from the same vectors, and a
/// seed gives the same trials. Before each gossip every node takes the step its run's optimizer takes with a zero
/// gradient (<see cref="AgentSteps"/>), with η cancelled by keeping the buffers in step units (u = η·m, v = η·c):
/// <code>
/// v ← μ·(v + x_after_step − x)                  (update tracking, from the second iteration; Decentralized.GlobalUpdateTracking)
/// u ← β·u + (1 − β)·(x_before − x)   (quasi-global, from the second iteration; then the step's m = β·u + v)
/// u ← β·u + v                        (local momentum; m = u)
/// x ← x − m                          (Nesterov: x ← x − (v + β·m))
/// </code>
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
    /// for <paramref name="iterations"/> iterations from N(0, 1) starts drawn from <paramref name="seed"/>, the nodes
    /// stepping as <paramref name="steps"/> between gossips (null: not at all).
    /// </summary>
    public ConsensusTuner(Func<float, IGossip> protocol, TensorLayout layout, int iterations, ulong seed = 0, AgentSteps? steps = null)
    {
        _protocol = protocol ?? throw new ArgumentNullException(nameof(protocol));
        Layout = layout ?? throw new ArgumentNullException(nameof(layout));
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        steps ??= new AgentSteps();
        steps.Validate();
        (Iterations, _seed, Steps) = (iterations, seed, steps);
    }

    /// <summary>The optimizer steps simulated between gossips.</summary>
    public AgentSteps Steps { get; }

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
        var steps = Steps.MoveModels ? new ZeroGradientSteps(n, Layout.Total, Steps) : null;
        int t = 0;
        for (int c = 1; c <= Checks && t < Iterations; c++)
        {
            for (int end = (int)((long)Iterations * c / Checks); t < end; t++)
            {
                steps?.Step(nodes, first: t == 0);
                GossipLoop.Step(protocol, nodes, t);
            }
            error = Error(nodes);
            if (!(error <= DivergenceFactor * initial)) break;
        }
        return new GammaTrial(gamma, t, initial, error);
    }

    /// <summary>Each node's momentum buffer u = η·m (or η·m̂), tracking correction v = η·c and the points they are built from.</summary>
    private sealed class ZeroGradientSteps(int nodes, int length, AgentSteps steps)
    {
        private readonly float[][] _u = Buffers(nodes, length), _v = Buffers(nodes, length);
        private readonly float[][] _before = Buffers(nodes, length), _after = Buffers(nodes, length);

        private static float[][] Buffers(int nodes, int length) => [.. Enumerable.Range(0, nodes).Select(_ => new float[length])];

        /// <summary>One optimizer step of every node from its x = z / w, the buffers folded in first (but for the <paramref name="first"/> step).</summary>
        public void Step(GossipNode[] nodes, bool first)
        {
            float beta = (float)steps.Momentum, mu = (float)(steps.UpdateTracking ?? 0);
            for (int i = 0; i < nodes.Length; i++)
            {
                var (z, u, v, before, after) = (nodes[i].Z, _u[i], _v[i], _before[i], _after[i]);
                float w = nodes[i].W;
                for (int k = 0; k < z.Length; k++)
                {
                    float x = z[k] / w;
                    if (mu > 0 && !first) v[k] = mu * (v[k] + after[k] - x);
                    float m;
                    if (steps.QuasiGlobal)
                    {
                        if (!first) u[k] = beta * u[k] + (1 - beta) * (before[k] - x);
                        before[k] = x;
                        m = beta * u[k] + v[k];
                    }
                    else m = u[k] = beta * u[k] + v[k];
                    x -= steps.Nesterov ? v[k] + beta * m : m;
                    after[k] = x;
                    z[k] = w * x;
                }
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
