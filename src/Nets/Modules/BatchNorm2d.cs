using NanoFed.Autograd;
using NanoFed.Kernels;

namespace NanoFed.Nets.Modules;

/// <summary>
/// Batch normalization per channel of (N, C, H, W) or (N, C) (PyTorch's <c>nn.BatchNorm2d</c>, affine, momentum
/// 0.1, eps 1e-5). Parameters "weight" (ones) and "bias" (zeros). By default the mode follows the module:
/// training uses batch statistics and updates the buffers "running_mean", "running_var" and
/// "num_batches_tracked" (a float scalar here, int64 in PyTorch); evaluation uses the running statistics. Built
/// with <c>batchStatsAlways</c> it has no buffers and always uses batch statistics (PyTorch's
/// <c>track_running_stats=False</c>; EcoFed's models).
/// </summary>
public sealed class BatchNorm2d : Module
{
    /// <summary>Batch norm over <paramref name="channels"/> channels.</summary>
    public BatchNorm2d(int channels, bool batchStatsAlways = false, float momentum = 0.1f, float eps = 1e-5f)
    {
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), channels, "BatchNorm2d needs at least one channel");
        BatchStatsAlways = batchStatsAlways;
        Momentum = momentum;
        Eps = eps;
        Weight = AddParameter("weight", Tensor.Full(new Shape(channels), 1f));
        Bias = AddParameter("bias", Tensor.Zeros(new Shape(channels)));
        if (!batchStatsAlways)
        {
            RunningMean = AddBuffer("running_mean", Tensor.Zeros(new Shape(channels)));
            RunningVar = AddBuffer("running_var", Tensor.Full(new Shape(channels), 1f));
            NumBatchesTracked = AddBuffer("num_batches_tracked", Tensor.Zeros(new Shape()));
        }
    }

    /// <summary>Scale gamma (C).</summary>
    public Variable Weight { get; }

    /// <summary>Shift beta (C).</summary>
    public Variable Bias { get; }

    /// <summary>Running mean (C), or null with batch statistics always.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>Running (unbiased) variance (C), or null with batch statistics always.</summary>
    public Tensor? RunningVar { get; }

    /// <summary>Number of training-mode forwards (a scalar), or null with batch statistics always.</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <summary>Whether batch statistics are used in every mode (no running statistics).</summary>
    public bool BatchStatsAlways { get; }

    /// <summary>Running-statistics momentum.</summary>
    public float Momentum { get; }

    /// <summary>Added to the variance.</summary>
    public float Eps { get; }

    /// <summary>The kernel mode this module runs in now.</summary>
    public BatchNormMode Mode => BatchStatsAlways ? BatchNormMode.BatchStatsAlways : IsTraining ? BatchNormMode.Train : BatchNormMode.Eval;

    /// <inheritdoc/>
    public override long ForwardFlops(ref int[] shape) => 2L * FlopShape.Elements(shape);

    /// <inheritdoc/>
    public override Variable Forward(Tape tape, Variable x) => Forward(tape, x, relu: false);

    /// <summary>relu(this(x)) as one fused op (<see cref="BatchNorm2dReluOp"/>): the same values and gradients as this module followed by <see cref="ReLU"/>.</summary>
    public Variable ForwardRelu(Tape tape, Variable x) => Forward(tape, x, relu: true);

    private Variable Forward(Tape tape, Variable x, bool relu)
    {
        var mode = Mode;
        var y = relu
            ? tape.BatchNorm2dRelu(x, Weight, Bias, RunningMean, RunningVar, mode, Momentum, Eps)
            : tape.BatchNorm2d(x, Weight, Bias, RunningMean, RunningVar, mode, Momentum, Eps);
        if (mode == BatchNormMode.Train) NumBatchesTracked!.Span[0] += 1f;
        return y;
    }
}
