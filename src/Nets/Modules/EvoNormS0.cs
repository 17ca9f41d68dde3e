using NanoFed.Autograd;

namespace NanoFed.Nets.Modules;

/// <summary>
/// EvoNorm-S0 (Liu et al. 2020, arXiv 2004.02967), a normalization and activation in one, used in place of
/// BatchNorm + ReLU: y = x · sigmoid(v · x) / group_std(x) · weight + bias, group_std over each image's G groups of
/// C/G channels (biased variance, eps 1e-5). It follows the Sparse-Push authors' code, <c>EvoNormSample2d</c> in
/// aparna-aketi/Low_Precision_DL (quantized_training/evonorm.py): parameters "weight" (ones), "bias" (zeros) and "v"
/// (ones), each of shape (1, C, 1, 1) so that state_dicts load into that module, and G = 8 groups by default. No
/// buffers and no batch statistics: training and evaluation compute the same function.
/// </summary>
public sealed class EvoNormS0 : Module
{
    /// <summary>The authors' default group count.</summary>
    public const int DefaultGroups = 8;

    /// <summary>EvoNorm-S0 over <paramref name="channels"/> channels in <paramref name="groups"/> groups (G must divide C).</summary>
    public EvoNormS0(int channels, int groups = DefaultGroups, float eps = 1e-5f)
    {
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), channels, "EvoNorm-S0 needs at least one channel");
        if (groups <= 0 || channels % groups != 0)
            throw new ArgumentException($"EvoNorm-S0: {groups} groups must divide {channels} channels", nameof(groups));
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "EvoNorm-S0's eps must be positive");
        Groups = groups;
        Eps = eps;
        var shape = new Shape(1, channels, 1, 1);
        Weight = AddParameter("weight", Tensor.Full(shape, 1f));
        Bias = AddParameter("bias", Tensor.Zeros(shape));
        V = AddParameter("v", Tensor.Full(shape, 1f));
    }

    /// <summary>Scale gamma (1, C, 1, 1).</summary>
    public Variable Weight { get; }

    /// <summary>Shift beta (1, C, 1, 1).</summary>
    public Variable Bias { get; }

    /// <summary>The sigmoid's slope v (1, C, 1, 1).</summary>
    public Variable V { get; }

    /// <summary>Number of groups G.</summary>
    public int Groups { get; }

    /// <summary>Added to the variance.</summary>
    public float Eps { get; }

    /// <inheritdoc/>
    public override long ForwardFlops(ref int[] shape) => 9L * FlopShape.Elements(shape);

    /// <inheritdoc/>
    public override Variable Forward(Tape tape, Variable x) => tape.EvoNormS0(x, V, Weight, Bias, Groups, Eps);
}
