using NanoFed.Kernels;

namespace NanoFed.Autograd;

/// <summary>relu(batchnorm(x)) in one op (see <see cref="BatchNorm2dOp"/>): the pair that follows most convolutions.</summary>
public static class BatchNorm2dReluOp
{
    /// <summary>
    /// As <c>tape.Relu(tape.BatchNorm2d(...))</c>, with the same values and gradients (bit for bit), but the ReLU is
    /// applied in batch norm's output pass, and its backward masks the gradient inside batch norm's backward: no
    /// intermediate tensor and two fewer passes over memory.
    /// </summary>
    public static Variable BatchNorm2dRelu(this Tape tape, Variable x, Variable gamma, Variable beta,
        Tensor? runningMean, Tensor? runningVar, BatchNormMode mode, float momentum = 0.1f, float eps = 1e-5f) =>
        BatchNorm2dOp.Apply(tape, x, gamma, beta, runningMean, runningVar, mode, momentum, eps, relu: true, BackwardFn);

    private static readonly BackwardFn BackwardFn = static (ref readonly TapeEntry e) => BatchNorm2dOp.Backward(in e, relu: true);
}
