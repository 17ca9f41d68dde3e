namespace NanoFed.Kernels;

/// <summary>
/// Log-softmax over the last axis of x (N, C): y[n, c] = x[n, c]/T − log Σ_j exp(x[n, j]/T).
/// Scalar and in double (Math.Exp, Math.Log), so one algorithm runs at every ISA (STYLE rule 12): C is a
/// class count (10 to 1000), far from the cost of the layers before it.
/// </summary>
public static class LogSoftmax
{
    /// <summary>
    /// Overwrites y = log_softmax(x / <paramref name="temperature"/>) row by row. x, y: (N, C); y may alias x.
    /// The division by T is done in float first, as PyTorch's <c>log_softmax(x / T)</c> does.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int n, int c, float temperature = 1f)
    {
        CheckRows(x.Length, y.Length, n, c, "log-softmax");
        CheckTemperature(temperature);
        for (int row = 0; row < n; row++)
        {
            var xr = x.Slice(row * c, c);
            var yr = y.Slice(row * c, c);
            double lse = RowLogSumExp(xr, temperature);
            for (int j = 0; j < c; j++) yr[j] = (float)(Scaled(xr[j], temperature) - lse);
        }
    }

    /// <summary>
    /// Accumulates dX[n, c] += (dY[n, c] − exp(y[n, c]) · Σ_j dY[n, j]) / T, the backward of <see cref="Forward"/>
    /// given its output y. y, dY, dX: (N, C).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dY, Span<float> dX, int n, int c, float temperature = 1f)
    {
        CheckRows(y.Length, dY.Length, n, c, "log-softmax backward");
        CheckRows(y.Length, dX.Length, n, c, "log-softmax backward");
        CheckTemperature(temperature);
        for (int row = 0; row < n; row++)
        {
            var yr = y.Slice(row * c, c);
            var gr = dY.Slice(row * c, c);
            var dr = dX.Slice(row * c, c);
            double sum = 0;
            for (int j = 0; j < c; j++) sum += gr[j];
            for (int j = 0; j < c; j++) dr[j] += (float)((gr[j] - Math.Exp(yr[j]) * sum) / temperature);
        }
    }

    /// <summary>The naive reference of <see cref="Forward"/>: log(exp(z_c) / Σ exp(z_j)) in double, no max shift (moderate inputs only).</summary>
    public static void ForwardReference(ReadOnlySpan<float> x, Span<float> y, int n, int c, float temperature = 1f)
    {
        CheckRows(x.Length, y.Length, n, c, "log-softmax");
        for (int row = 0; row < n; row++)
        {
            double sum = 0;
            for (int j = 0; j < c; j++) sum += Math.Exp((double)x[row * c + j] / temperature);
            for (int j = 0; j < c; j++) y[row * c + j] = (float)Math.Log(Math.Exp((double)x[row * c + j] / temperature) / sum);
        }
    }

    /// <summary>log Σ_j exp(row[j] / T), shifted by the row maximum so that it never overflows; in double.</summary>
    internal static double RowLogSumExp(ReadOnlySpan<float> row, float temperature)
    {
        double max = double.NegativeInfinity;
        for (int j = 0; j < row.Length; j++) max = Math.Max(max, Scaled(row[j], temperature));
        double sum = 0;
        for (int j = 0; j < row.Length; j++) sum += Math.Exp(Scaled(row[j], temperature) - max);
        return max + Math.Log(sum);
    }

    /// <summary>x / T rounded to float (as PyTorch divides before log_softmax), widened to double.</summary>
    internal static double Scaled(float x, float temperature) => temperature == 1f ? x : (double)(x / temperature);

    internal static void CheckRows(int xLength, int yLength, int n, int c, string what)
    {
        if (n < 0 || c < 1 || xLength != n * c || yLength != n * c)
            throw new ArgumentException($"{what}: N={n} C={c} needs {n * c} elements per buffer, got {xLength} and {yLength}");
    }

    internal static void CheckTemperature(float temperature)
    {
        if (!(temperature > 0) || float.IsInfinity(temperature))
            throw new ArgumentException($"temperature must be positive and finite, got {temperature}", nameof(temperature));
    }
}
