namespace NanoFed.Kernels;

/// <summary>The naive references of group normalization: textbook formulas in double, one group at a time.</summary>
public static partial class GroupNorm
{
    /// <summary>The reference of <see cref="Forward"/> (same buffers and contract).</summary>
    public static void ForwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y,
        Span<float> mean, Span<float> invStd, int n, int c, int hw, int groups, float eps = 1e-5f)
    {
        Validate(x.Length, y.Length, gamma.Length, beta.Length, mean.Length, invStd.Length, n, c, hw, groups);
        int cg = c / groups, m = cg * hw;
        for (int group = 0; group < n * groups; group++)
        {
            var (mu, inv) = GroupStatistics(x.Slice(group * m, m), eps);
            mean[group] = (float)mu;
            invStd[group] = (float)inv;
            for (int k = 0; k < m; k++)
            {
                int ch = group % groups * cg + k / hw;
                y[group * m + k] = (float)((x[group * m + k] - mu) * inv * gamma[ch] + beta[ch]);
            }
        }
    }

    /// <summary>The reference of <see cref="Backward"/> (accumulates; empty spans skip a gradient).</summary>
    public static void BackwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> dY, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, Span<float> dX, Span<float> dGamma, Span<float> dBeta,
        int n, int c, int hw, int groups)
    {
        Validate(x.Length, dY.Length, gamma.Length, gamma.Length, mean.Length, invStd.Length, n, c, hw, groups);
        int cg = c / groups, m = cg * hw;
        var gammaSums = new double[c];
        var betaSums = new double[c];
        for (int group = 0; group < n * groups; group++)
        {
            double mu = mean[group], inv = invStd[group], sumG = 0, sumGXhat = 0;
            for (int k = 0; k < m; k++)
            {
                int at = group * m + k, ch = group % groups * cg + k / hw;
                double xhat = (x[at] - mu) * inv;
                betaSums[ch] += dY[at];
                gammaSums[ch] += dY[at] * xhat;
                sumG += dY[at] * (double)gamma[ch];
                sumGXhat += dY[at] * (double)gamma[ch] * xhat;
            }
            if (dX.IsEmpty) continue;
            for (int k = 0; k < m; k++)
            {
                int at = group * m + k, ch = group % groups * cg + k / hw;
                double xhat = (x[at] - mu) * inv;
                dX[at] += (float)(inv * (dY[at] * (double)gamma[ch] - sumG / m - xhat * sumGXhat / m));
            }
        }
        for (int ch = 0; ch < c; ch++)
        {
            if (!dBeta.IsEmpty) dBeta[ch] += (float)betaSums[ch];
            if (!dGamma.IsEmpty) dGamma[ch] += (float)gammaSums[ch];
        }
    }

    /// <summary>Mean and 1/√(biased variance + eps) of one group, two passes in double.</summary>
    internal static (double Mean, double InvStd) GroupStatistics(ReadOnlySpan<float> values, float eps)
    {
        double sum = 0, squares = 0;
        foreach (float v in values) sum += v;
        double mu = values.Length == 0 ? 0 : sum / values.Length;
        foreach (float v in values) squares += (v - mu) * (v - mu);
        double variance = values.Length == 0 ? 0 : squares / values.Length;
        return (mu, 1 / Math.Sqrt(variance + eps));
    }
}
