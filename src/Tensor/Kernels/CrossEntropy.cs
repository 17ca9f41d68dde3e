namespace NanoFed.Kernels;

/// <summary>
/// Softmax cross-entropy with integer class labels and mean reduction, fused (PyTorch's
/// <c>F.cross_entropy(logits, labels)</c>): loss = (1/N) Σ_n (log Σ_j exp(x[n, j]) − x[n, label_n]).
/// logits (N, C), labels (N) in [0, C), probabilities (N, C) saved by forward for backward.
/// </summary>
public static class CrossEntropy
{
    /// <summary>
    /// Returns the mean loss and overwrites <paramref name="probabilities"/> with softmax(logits), which
    /// <see cref="Backward"/> needs. Throws <see cref="ArgumentException"/> before any work if a label is outside [0, C).
    /// </summary>
    public static float Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> probabilities, int n, int c)
    {
        Validate(logits.Length, labels, probabilities.Length, n, c);
        double total = 0;
        for (int row = 0; row < n; row++)
        {
            var xr = logits.Slice(row * c, c);
            var pr = probabilities.Slice(row * c, c);
            double lse = LogSoftmax.RowLogSumExp(xr, 1f);
            for (int j = 0; j < c; j++) pr[j] = (float)Math.Exp(xr[j] - lse);
            total += lse - xr[labels[row]];
        }
        return n == 0 ? float.NaN : (float)(total / n);
    }

    /// <summary>
    /// Accumulates dLogits[n, c] += dLoss · (p[n, c] − [c = label_n]) / N. probabilities, dLogits: (N, C);
    /// <paramref name="dLoss"/> is the gradient of the (scalar) loss.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> labels, float dLoss, Span<float> dLogits, int n, int c)
    {
        Validate(dLogits.Length, labels, probabilities.Length, n, c);
        if (n == 0) return;
        float scale = dLoss / n;
        for (int row = 0; row < n; row++)
        {
            var pr = probabilities.Slice(row * c, c);
            var dr = dLogits.Slice(row * c, c);
            int label = labels[row];
            for (int j = 0; j < c; j++) dr[j] += scale * (j == label ? pr[j] - 1f : pr[j]);
        }
    }

    /// <summary>The naive reference: the loss and the accumulated gradient (dLoss · (softmax − onehot)/N) in double.</summary>
    public static float Reference(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, float dLoss, Span<float> dLogits, int n, int c)
    {
        Validate(logits.Length, labels, dLogits.Length, n, c);
        double total = 0;
        for (int row = 0; row < n; row++)
        {
            double sum = 0;
            for (int j = 0; j < c; j++) sum += Math.Exp(logits[row * c + j]);
            total -= Math.Log(Math.Exp(logits[row * c + labels[row]]) / sum);
            for (int j = 0; j < c; j++)
            {
                double p = Math.Exp(logits[row * c + j]) / sum;
                dLogits[row * c + j] += (float)(dLoss * (p - (j == labels[row] ? 1 : 0)) / n);
            }
        }
        return (float)(total / n);
    }

    private static void Validate(int logitsLength, ReadOnlySpan<int> labels, int probabilitiesLength, int n, int c)
    {
        LogSoftmax.CheckRows(logitsLength, probabilitiesLength, n, c, "cross-entropy");
        if (labels.Length != n)
            throw new ArgumentException($"cross-entropy: {labels.Length} labels for N={n} rows", nameof(labels));
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)c)
                throw new ArgumentException($"cross-entropy: label {labels[i]} at row {i} is outside [0, {c})", nameof(labels));
        }
    }
}
