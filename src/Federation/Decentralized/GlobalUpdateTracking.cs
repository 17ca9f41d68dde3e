using NanoFed.Autograd;
using NanoFed.Federation.Gossip;

namespace NanoFed.Federation.Decentralized;

/// <summary>
/// Global Update Tracking (Aketi, Hashemi, Roy, "Global Update Tracking: A Decentralized Learning Algorithm for
/// Heterogeneous Data", NeurIPS 2023; its authors' models/gut.py and gossip/distributed.py). Gradient tracking makes each
/// agent step along an estimate of the average gradient instead of its own, which on skewed data points elsewhere;
/// it sends a second vector. GUT recovers the neighbours' updates from the model changes the gossip already carries.
/// In the step-then-gossip order of the agents here (x' = gossip(x − η·d)) the authors' rule, with the gossip's whole
/// move on the agent, is
/// <code>
/// c_i ← μ·(c_i + (x_i^{t−½} − x_i^t) / η_{t−1})     (x^{t−½}: after the last optimizer step; x^t: after its gossip)
/// d_i = ∇f_i(x_i^t) + c_i                              (then weight decay and momentum as usual)
/// </code>
/// which for μ = 1 is gradient tracking's y ← W·y + g − g_prev with the consensus term folded in. Without momentum it is
/// the authors' recurrence step for step (their gossip-then-step models are this one's x^t); with momentum the
/// correction is added before the optimizer's buffer, so the sum over agents of d still equals that of the gradients
/// (the gossip's moves sum to zero under doubly stochastic mixing), where the authors' QG-GUTm puts the gossip into the
/// buffer and needs a small μ (0.06 against 0.9). Like <see cref="QuasiGlobalMomentum"/> everything is local.
/// </summary>
public sealed class GlobalUpdateTracking
{
    /// <summary>A correction c = 0 over <paramref name="length"/> parameters with scaling <paramref name="mu"/> in (0, 1].</summary>
    public GlobalUpdateTracking(int length, double mu)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (!(mu > 0 && mu <= 1)) throw new ArgumentOutOfRangeException(nameof(mu), mu, "global update tracking needs a scaling in (0, 1]");
        Mu = mu;
        Correction = new float[length];
        AfterStep = new float[length];
    }

    /// <summary>μ, the correction's decay (the authors' scaling factor).</summary>
    public double Mu { get; }

    /// <summary>c_i, flattened in the agent's parameter order.</summary>
    public float[] Correction { get; }

    /// <summary>x_i right after the last optimizer step, before its gossip.</summary>
    public float[] AfterStep { get; }

    /// <summary>η of the last step, as a float so that a checkpoint holds it exactly; 0 before the first.</summary>
    public float PreviousLr { get; set; }

    /// <summary>Starts a step from <paramref name="x"/> (x_i^t, after the last gossip): folds the gossip's move on the agent into c.</summary>
    public void Begin(ReadOnlySpan<float> x)
    {
        if (x.Length != Correction.Length) throw new ArgumentException($"update tracking over {Correction.Length} values, step from {x.Length}", nameof(x));
        if (PreviousLr == 0) return;
        float mu = (float)Mu, scale = mu / PreviousLr;
        for (int k = 0; k < Correction.Length; k++) Correction[k] = mu * Correction[k] + scale * (AfterStep[k] - x[k]);
    }

    /// <summary>Adds c to the gradients of <paramref name="parameters"/> (laid out by <paramref name="layout"/>); one without a gradient is left alone, as the optimizer leaves it.</summary>
    public void Correct(IReadOnlyList<Variable> parameters, TensorLayout layout)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(layout);
        layout.Check(Correction.Length);
        for (int l = 0; l < layout.Count; l++)
            if (parameters[l].Grad is { } grad)
                System.Numerics.Tensors.TensorPrimitives.Add(grad.Span, layout.Slice(Correction, l), grad.Span);
    }

    /// <summary>Ends a step: remembers <paramref name="xAfterStep"/> (x_i^{t+½}) and the step's learning rate <paramref name="lr"/>.</summary>
    public void End(ReadOnlySpan<float> xAfterStep, double lr)
    {
        if (xAfterStep.Length != AfterStep.Length) throw new ArgumentException($"update tracking over {AfterStep.Length} values, step to {xAfterStep.Length}", nameof(xAfterStep));
        xAfterStep.CopyTo(AfterStep);
        PreviousLr = (float)lr;
    }
}
