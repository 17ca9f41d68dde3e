using NanoFed.Federation.Gossip;
using NanoFed.Nets.Optim;

namespace NanoFed.Federation.Decentralized;

/// <summary>
/// Quasi-global momentum (Lin, Karimireddy, Stich, Jaggi, "Quasi-Global Momentum: Accelerating Decentralized Deep
/// Learning on Heterogeneous Data", ICML 2021, Alg. 1; its authors' decentralized_qg_sgd.py). On one-class agents a
/// local momentum buffer accumulates the local gradient, which points away from the other agents' data; QGM builds the
/// buffer from the model's change across a whole iteration instead, the local step and the gossip together, which
/// approximates the global update direction:
/// <code>
/// m_i    = β·m̂_i + g_i                          (g_i with weight decay; Nesterov: step along g_i + β·m_i)
/// x_i'   = gossip(x_i − η_t·m_i)
/// m̂_i   ← μ·m̂_i + (1 − μ)·(x_i − x_i') / η_t
/// </code>
/// with μ = β. The update of m̂ needs x_i' after the gossip, so it is folded in at the start of the next step
/// (<see cref="Begin"/>), the only place every way of running (in process, peer processes, cluster grains) passes
/// through; the result is the same sequence of steps.
/// </summary>
public sealed class QuasiGlobalMomentum
{
    /// <summary>A buffer m̂ = 0 over <paramref name="length"/> parameters with μ = <paramref name="mu"/>, before any step.</summary>
    public QuasiGlobalMomentum(int length, double mu)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (!(mu > 0 && mu < 1)) throw new ArgumentOutOfRangeException(nameof(mu), mu, "quasi-global momentum needs a momentum in (0, 1)");
        Mu = mu;
        Buffer = new float[length];
        Previous = new float[length];
    }

    /// <summary>μ, the buffer's decay (the optimizer's momentum β).</summary>
    public double Mu { get; }

    /// <summary>m̂_i, flattened in the agent's parameter order.</summary>
    public float[] Buffer { get; }

    /// <summary>x_i at the start of the last step.</summary>
    public float[] Previous { get; }

    /// <summary>η of the last step, as a float so that a checkpoint holds it exactly; 0 before the first.</summary>
    public float PreviousLr { get; set; }

    /// <summary>
    /// Starts a step from <paramref name="x"/> (x_i' of the last iteration, after its gossip): folds the last step's
    /// change (Previous − x) / PreviousLr into m̂, writes m̂ into <paramref name="optimizer"/>'s momentum buffers (so its
    /// step takes β·m̂ + g) and remembers x and the optimizer's learning rate for the next call.
    /// </summary>
    public void Begin(ReadOnlySpan<float> x, Sgd optimizer, TensorLayout layout)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(layout);
        layout.Check(x.Length);
        if (x.Length != Buffer.Length) throw new ArgumentException($"quasi-global momentum over {Buffer.Length} values, step from {x.Length}", nameof(x));
        if (PreviousLr > 0)
        {
            float mu = (float)Mu, scale = (float)((1 - Mu) / PreviousLr);
            for (int k = 0; k < Buffer.Length; k++) Buffer[k] = mu * Buffer[k] + scale * (Previous[k] - x[k]);
        }
        x.CopyTo(Previous);
        PreviousLr = (float)optimizer.Lr;
        for (int l = 0; l < layout.Count; l++)
        {
            if (optimizer.MomentumBuffer(l) is null) optimizer.SetMomentumBuffer(l, Tensor.Zeros(optimizer.Parameters[l].Data.Shape));
            layout.Slice(Buffer, l).CopyTo(optimizer.MomentumBuffer(l)!.Span);
        }
    }
}
