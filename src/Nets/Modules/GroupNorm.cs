using NanoFed.Autograd;

namespace NanoFed.Nets.Modules;

/// <summary>
/// Group normalization of (N, C, H, W) or (N, C) (PyTorch's <c>nn.GroupNorm(num_groups, num_channels)</c>, affine,
/// eps 1e-5; Wu and He 2018): each image's G groups of C/G consecutive channels are normalized by their own mean and
/// biased variance, then scaled and shifted per channel. Parameters "weight" (C, ones) and "bias" (C, zeros); no
/// buffers and no batch statistics, so training and evaluation compute the same function and an agent's output does
/// not depend on the other images of its batch (the point for skewed, non-IID data).
/// </summary>
public sealed class GroupNorm : Module
{
    /// <summary>Group norm of <paramref name="groups"/> groups over <paramref name="channels"/> channels (G must divide C).</summary>
    public GroupNorm(int groups, int channels, float eps = 1e-5f)
    {
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), channels, "GroupNorm needs at least one channel");
        if (groups <= 0 || channels % groups != 0)
            throw new ArgumentException($"GroupNorm: {groups} groups must divide {channels} channels", nameof(groups));
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "GroupNorm's eps must be positive");
        Groups = groups;
        Eps = eps;
        Weight = AddParameter("weight", Tensor.Full(new Shape(channels), 1f));
        Bias = AddParameter("bias", Tensor.Zeros(new Shape(channels)));
    }

    /// <summary>Scale gamma (C).</summary>
    public Variable Weight { get; }

    /// <summary>Shift beta (C).</summary>
    public Variable Bias { get; }

    /// <summary>Number of groups G.</summary>
    public int Groups { get; }

    /// <summary>Added to the variance.</summary>
    public float Eps { get; }

    /// <inheritdoc/>
    public override long ForwardFlops(ref int[] shape) => 4L * FlopShape.Elements(shape);

    /// <inheritdoc/>
    public override Variable Forward(Tape tape, Variable x) => tape.GroupNorm(x, Weight, Bias, Groups, Eps);
}
