namespace NanoFed.Kernels;

/// <summary>
/// Batch normalization's reduction (<see cref="BatchNorm2d"/>'s moments) over one contiguous run of values, for the
/// normalizations whose statistics are per image: (Σ u, Σ u · (x − shift)) with u = op(p, q), in double.
/// </summary>
internal static unsafe class RunSums
{
    /// <summary>
    /// Returns (Σ u, Σ u · (x − shift)) over the <paramref name="length"/> values at p, q, x. Bit-identical on every ISA
    /// (STYLE rule 12): 16 fixed logical lanes per sum, each <see cref="BatchNorm2d.BlockLength"/> values added in float
    /// lanes and then into 16 double lanes, the lanes added by a fixed tree; the same lanes and tree as
    /// <see cref="BatchNorm2d"/>'s statistics.
    /// </summary>
    public static (double U, double V) Sum<TOp>(in TOp op, float* p, float* q, float* x, float shift, long length)
        where TOp : struct, IBinaryOperator
    {
        float* lanes = stackalloc float[32];
        double* totals = stackalloc double[32];
        new Span<float>(lanes, 32).Clear();
        new Span<double>(totals, 32).Clear();
        for (long start = 0; start < length; start += BatchNorm2d.BlockLength)
        {
            int count = (int)Math.Min(BatchNorm2d.BlockLength, length - start);
            BatchNorm2d.AccumulateRow(op, p + start, q + start, x + start, shift, count, lanes);
            BatchNorm2d.Flush(lanes, totals);
        }
        BatchNorm2d.AddTree(totals);
        return (totals[0], totals[16]);
    }

    /// <summary>
    /// The mean and inverse standard deviation 1/√(var + eps) of the <paramref name="length"/> values at x, biased
    /// variance: a first sum gives a shift K near the mean, a second Σ(x − K) and Σ(x − K)² (free of a large mean's
    /// cancellation), as <see cref="BatchNorm2d"/>'s statistics.
    /// </summary>
    public static void MeanAndInvStd(float* x, long length, float eps, out float mean, out float invStd)
    {
        if (length == 0)
        {
            mean = 0f;
            invStd = (float)(1.0 / Math.Sqrt(eps));
            return;
        }
        var (total, _) = Sum(new BatchNorm2d.IdentityOperator(), x, x, x, 0f, length);
        float shift = (float)(total / length);
        var (sum, squares) = Sum(new BatchNorm2d.DifferenceOperator(shift), x, x, x, shift, length);
        double delta = sum / length;
        double variance = Math.Max(squares / length - delta * delta, 0);
        mean = (float)(shift + delta);
        invStd = (float)(1.0 / Math.Sqrt(variance + eps));
    }
}
