namespace NanoFed.Federation.Gossip;

/// <summary>
/// How a compressed gossip protocol applies its consensus step γ to the correction r_i it gathered at iteration t
/// (r_i = Σ_j W_ij (x̂_j − x̂_i) in the protocol's own terms): z_i ← z_i + γ_t ⊙ r_i and w_i ← w_i + γ̄_t · r_w.
/// <list type="bullet">
/// <item><see cref="Constant"/>: γ_t = γ for every coordinate and iteration (the default; the protocols' update as
/// their papers write it).</item>
/// <item><see cref="FollowingLearningRate"/>: γ_t = γ · lr(t) / lr, so the consensus step follows the run's schedule
/// (its warm-up and decays).</item>
/// <item><see cref="Adaptive"/>: AdaGossip (Aketi, Hashemi and Roy 2024, arXiv 2404.05919), a step per coordinate from
/// the running second moment of the corrections, as Adam's: v ← β v + (1 − β) r², v̂ = v / (1 − β^n) after n updates,
/// γ_t,k = min(1, γ / (√v̂_k + ε)). Coordinates whose corrections are small relative to γ mix fully, those with large
/// ones are damped; γ is then on the scale of the parameters, not a fraction.</item>
/// </list>
/// An adaptive step is a node's own: agents scale the same edge differently, so Σ_i z_i is no longer conserved
/// exactly (as in AdaGossip's CHOCO form, which gives up the average's invariance the same way). The push-sum weight
/// w_i always moves by the scalar γ̄_t (γ for the adaptive rule), and on graphs whose mixing is doubly stochastic w_i
/// stays 1 whatever the step.
/// </summary>
public abstract class ConsensusStep
{
    private ConsensusStep()
    {
    }

    /// <summary>γ_t = γ.</summary>
    public static ConsensusStep Constant { get; } = new ConstantStep();

    /// <summary>γ_t = γ · <paramref name="scale"/>(t), scale(t) being lr(t) / lr.</summary>
    public static ConsensusStep FollowingLearningRate(Func<long, double> scale) => new ScaledStep(scale ?? throw new ArgumentNullException(nameof(scale)));

    /// <summary>AdaGossip with second-moment decay <paramref name="beta"/> (0 &lt; β &lt; 1) and ε = <see cref="Epsilon"/>.</summary>
    public static ConsensusStep Adaptive(float beta = DefaultBeta) =>
        beta is > 0 and < 1 ? new AdaptiveStep(beta) : throw new ArgumentOutOfRangeException(nameof(beta), $"AdaGossip's beta must be in (0, 1), got {beta}");

    /// <summary>AdaGossip's default β (the authors').</summary>
    public const float DefaultBeta = 0.999f;

    /// <summary>AdaGossip's ε, added to √v̂.</summary>
    public const float Epsilon = 1e-8f;

    /// <summary>The scalar step γ̄_t at iteration <paramref name="t"/> for base step <paramref name="gamma"/>.</summary>
    public abstract float Scalar(float gamma, long t);

    /// <summary>z_i ← z_i + γ_t ⊙ <paramref name="r"/> for node <paramref name="node"/>, base step <paramref name="gamma"/>.</summary>
    internal virtual void Apply(GossipNode node, float gamma, long t, ReadOnlySpan<float> r)
    {
        float step = Scalar(gamma, t);
        var z = node.Z;
        for (int k = 0; k < z.Length; k++) z[k] += step * r[k];
    }

    /// <summary>The per-node state the rule keeps for a vector of <paramref name="length"/> values (null: none).</summary>
    internal virtual float[]? NewState(int length) => null;

    private sealed class ConstantStep : ConsensusStep
    {
        public override float Scalar(float gamma, long t) => gamma;
    }

    private sealed class ScaledStep(Func<long, double> scale) : ConsensusStep
    {
        public override float Scalar(float gamma, long t) => (float)(gamma * scale(t));
    }

    /// <summary>State: v (one value per coordinate), then n, the number of updates so far.</summary>
    private sealed class AdaptiveStep(float beta) : ConsensusStep
    {
        public override float Scalar(float gamma, long t) => gamma;

        internal override float[]? NewState(int length) => new float[length + 1];

        internal override void Apply(GossipNode node, float gamma, long t, ReadOnlySpan<float> r)
        {
            var z = node.Z;
            var v = node.StepState ?? throw new InvalidOperationException("AdaGossip needs the node's second moments (a node made by another protocol?)");
            float n = v[z.Length] += 1;
            float correction = (float)(1 - Math.Pow(beta, n)), keep = 1 - beta;
            for (int k = 0; k < z.Length; k++)
            {
                v[k] = beta * v[k] + keep * r[k] * r[k];
                float step = MathF.Min(1f, gamma / (MathF.Sqrt(v[k] / correction) + Epsilon));
                z[k] += step * r[k];
            }
        }
    }
}
