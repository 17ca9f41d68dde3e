using NanoFed.Autograd;
using NanoFed.Kernels;

namespace NanoFed.Nets.Modules;

/// <summary>
/// 2-D convolution (PyTorch's <c>nn.Conv2d</c> without dilation or groups): parameters "weight" (K, C, R, S)
/// and, when <c>bias</c>, "bias" (K). Initialized as PyTorch's default (<see cref="Init.PyTorchDefault"/>);
/// models re-initialize as their reference code does.
/// </summary>
public sealed class Conv2d : Module
{
    /// <summary>A convolution from <paramref name="inChannels"/> to <paramref name="outChannels"/> with a square kernel.</summary>
    public Conv2d(int inChannels, int outChannels, int kernel, RngStream rng, int stride = 1, int padding = 0, bool bias = true)
    {
        if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0)
            throw new ArgumentException($"Conv2d: need positive channels ({inChannels}, {outChannels}), kernel ({kernel}) and stride ({stride}), non-negative padding ({padding})");
        Stride = stride;
        Padding = padding;
        Weight = AddParameter("weight", Tensor.Zeros(new Shape(outChannels, inChannels, kernel, kernel)));
        Bias = bias ? AddParameter("bias", Tensor.Zeros(new Shape(outChannels))) : null;
        Init.PyTorchDefault(Weight.Data, Bias?.Data, rng);
    }

    /// <summary>Filters (K, C, R, S).</summary>
    public Variable Weight { get; }

    /// <summary>Bias (K), or null.</summary>
    public Variable? Bias { get; }

    /// <summary>Stride in both directions.</summary>
    public int Stride { get; }

    /// <summary>Zero padding on every side.</summary>
    public int Padding { get; }

    /// <inheritdoc/>
    public override Variable Forward(Tape tape, Variable x) => tape.Conv2d(x, Weight, Bias, Stride, Padding);

    /// <inheritdoc/>
    public override long ForwardFlops(ref int[] shape)
    {
        var w = Weight.Data.Shape;
        FlopShape.NeedImage(shape, w[1], "Conv2d");
        shape = FlopShape.Window(shape, w[2], Stride, Padding, "Conv2d");
        shape[0] = w[0];
        return 2L * w[1] * w[2] * w[3] * FlopShape.Elements(shape);
    }

    /// <summary>
    /// <paramref name="bn"/>(this(x)), then a ReLU when <paramref name="relu"/>: the same as running the modules one
    /// after another, but with batch norm's running statistics folded into this convolution in evaluation mode
    /// (<see cref="Conv2dBatchNormEvalOp"/>) and the ReLU fused into batch norm in training.
    /// </summary>
    public Variable Forward(Tape tape, Variable x, BatchNorm2d bn, bool relu)
    {
        ArgumentNullException.ThrowIfNull(bn);
        if (bn.Mode == BatchNormMode.Eval)
            return tape.Conv2dBatchNormEval(x, Weight, Bias, Stride, Padding, bn.Weight, bn.Bias, bn.RunningMean!, bn.RunningVar!, bn.Eps, relu);
        var y = Forward(tape, x);
        return relu ? bn.ForwardRelu(tape, y) : bn.Forward(tape, y);
    }
}
