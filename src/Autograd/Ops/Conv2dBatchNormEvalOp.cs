using NanoFed.Kernels;

namespace NanoFed.Autograd;

/// <summary>
/// A convolution followed by batch norm on running statistics (and a ReLU): inference's conv + BN + ReLU, fused.
/// </summary>
public static class Conv2dBatchNormEvalOp
{
    /// <summary>
    /// batchnorm(conv2d(x, w) + bias) in Eval mode, then max(·, 0) when <paramref name="relu"/>. When nothing needs a
    /// gradient (inference), batch norm is folded into the convolution: w'[k] = w[k]·s_k and
    /// b'[k] = (bias[k] − mean[k])·s_k + beta[k] with s_k = gamma[k] / √(var[k] + eps), so one convolution writes
    /// the final output, the ReLU applied while each block is in cache (equal to the separate ops up to rounding).
    /// Otherwise it records the separate ops, so gradients are exact. bias may be null.
    /// </summary>
    public static Variable Conv2dBatchNormEval(this Tape tape, Variable x, Variable w, Variable? bias, int stride, int padding,
        Variable gamma, Variable beta, Tensor runningMean, Tensor runningVar, float eps, bool relu)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(gamma);
        ArgumentNullException.ThrowIfNull(beta);
        ArgumentNullException.ThrowIfNull(runningMean);
        ArgumentNullException.ThrowIfNull(runningVar);
        if (tape.Records(x, w, bias) || tape.Records(gamma, beta))
        {
            var conv = tape.Conv2d(x, w, bias, stride, padding);
            return relu
                ? tape.BatchNorm2dRelu(conv, gamma, beta, runningMean, runningVar, BatchNormMode.Eval, eps: eps)
                : tape.BatchNorm2d(conv, gamma, beta, runningMean, runningVar, BatchNormMode.Eval, eps: eps);
        }
        int k = w.Shape[0];
        if (gamma.Shape != new Shape(k) || beta.Shape != gamma.Shape || runningMean.Shape != gamma.Shape || runningVar.Shape != gamma.Shape)
            throw new ArgumentException($"conv + batch norm: gamma, beta, running mean and variance must be ({k}) like the filters' K, got {gamma.Shape}, {beta.Shape}, {runningMean.Shape}, {runningVar.Shape}");
        var folded = tape.Scratch(w.Shape, zero: false);
        var foldedBias = tape.Scratch(gamma.Shape, zero: false);
        Fold(w.Data.Span, bias is null ? default : bias.Data.Span, gamma.Data.Span, beta.Data.Span, runningMean.Span, runningVar.Span, eps,
            folded.Span, foldedBias.Span);
        return tape.Conv2d(x, new Variable(folded), new Variable(foldedBias), stride, padding, relu);
    }

    /// <summary>Writes w' and b' (see <see cref="Conv2dBatchNormEval"/>); the scale is computed as batch norm's Eval forward computes it.</summary>
    private static void Fold(ReadOnlySpan<float> w, ReadOnlySpan<float> bias, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, float eps, Span<float> folded, Span<float> foldedBias)
    {
        int k = gamma.Length, perFilter = w.Length / k;
        for (int i = 0; i < k; i++)
        {
            float scale = gamma[i] * (float)(1.0 / Math.Sqrt((double)variance[i] + eps));
            System.Numerics.Tensors.TensorPrimitives.Multiply(w.Slice(i * perFilter, perFilter), scale, folded.Slice(i * perFilter, perFilter));
            foldedBias[i] = ((bias.IsEmpty ? 0f : bias[i]) - mean[i]) * scale + beta[i];
        }
    }
}
