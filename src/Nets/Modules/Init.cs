namespace NanoFed.Nets.Modules;

/// <summary>
/// Weight initializations as torch.nn.init defines them, drawn from an explicit <see cref="RngStream"/> (so the
/// distribution matches PyTorch's, not its bits). Fans of a weight (K, C, R, S) or (Out, In): fan_in = C·R·S,
/// fan_out = K·R·S.
/// </summary>
public static class Init
{
    /// <summary>fan_in of a weight shaped (Out, In, ...): In times the receptive field.</summary>
    public static int FanIn(Shape w) => w.Rank < 2 ? w.Length : w.Length / w[0];

    /// <summary>fan_out of a weight shaped (Out, In, ...): Out times the receptive field.</summary>
    public static int FanOut(Shape w) => w.Rank < 2 ? w.Length : w.Length / w[1];

    /// <summary>
    /// <c>kaiming_normal_(w, mode, nonlinearity="relu")</c> (also the default a = 0 leaky_relu, same gain):
    /// normal(0, sqrt(2 / fan)) with fan = fan_in or fan_out.
    /// </summary>
    public static void KaimingNormal(Tensor w, RngStream rng, bool fanOut = false)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(rng);
        int fan = fanOut ? FanOut(w.Shape) : FanIn(w.Shape);
        rng.FillNormal(w.Span, 0f, MathF.Sqrt(2f / fan));
    }

    /// <summary>
    /// PyTorch's default for Conv2d and Linear (<c>reset_parameters</c>): weight uniform(±1/sqrt(fan_in))
    /// (kaiming_uniform_ with a = sqrt(5)), bias uniform(±1/sqrt(fan_in)).
    /// </summary>
    public static void PyTorchDefault(Tensor w, Tensor? bias, RngStream rng)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(rng);
        float bound = 1f / MathF.Sqrt(FanIn(w.Shape));
        rng.FillUniform(w.Span, -bound, bound);
        if (bias != null) rng.FillUniform(bias.Span, -bound, bound);
    }

    /// <summary><c>normal_(t, mean, std)</c>.</summary>
    public static void Normal(Tensor t, RngStream rng, float mean, float std)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(rng);
        rng.FillNormal(t.Span, mean, std);
    }
}
