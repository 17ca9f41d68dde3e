namespace NanoFed.Kernels;

/// <summary>The naive references of EvoNorm-S0: textbook formulas in double, one group at a time.</summary>
public static partial class EvoNormS0
{
    /// <summary>The reference of <see cref="Forward"/> (same buffers and contract).</summary>
    public static void ForwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> v, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> y, Span<float> sigmoid, Span<float> mean, Span<float> invStd, int n, int c, int hw, int groups, float eps = 1e-5f)
    {
        Validate(x.Length, y.Length, sigmoid.Length, v.Length, gamma.Length, beta.Length, mean.Length, invStd.Length, n, c, hw, groups);
        int cg = c / groups, m = cg * hw;
        for (int group = 0; group < n * groups; group++)
        {
            var (mu, inv) = GroupNorm.GroupStatistics(x.Slice(group * m, m), eps);
            mean[group] = (float)mu;
            invStd[group] = (float)inv;
            for (int k = 0; k < m; k++)
            {
                int at = group * m + k, ch = group % groups * cg + k / hw;
                double s = 1 / (1 + Math.Exp(-(double)v[ch] * x[at]));
                sigmoid[at] = (float)s;
                y[at] = (float)(x[at] * s * inv * gamma[ch] + beta[ch]);
            }
        }
    }

    /// <summary>The reference of <see cref="Backward"/> (accumulates; empty spans skip a gradient).</summary>
    public static void BackwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> dY, ReadOnlySpan<float> v, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> sigmoid, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, Span<float> dX, Span<float> dV,
        Span<float> dGamma, Span<float> dBeta, int n, int c, int hw, int groups)
    {
        Validate(x.Length, dY.Length, sigmoid.Length, v.Length, gamma.Length, gamma.Length, mean.Length, invStd.Length, n, c, hw, groups);
        int cg = c / groups, m = cg * hw;
        var sums = new double[3 * c];
        for (int group = 0; group < n * groups; group++)
        {
            double mu = mean[group], inv = invStd[group], numerator = 0;
            for (int k = 0; k < m; k++)
            {
                int at = group * m + k, ch = group % groups * cg + k / hw;
                double s = 1 / (1 + Math.Exp(-(double)v[ch] * x[at])), u = x[at] * s;
                sums[ch] += dY[at];
                sums[c + ch] += dY[at] * u * inv;
                sums[2 * c + ch] += dY[at] * gamma[ch] * inv * x[at] * x[at] * s * (1 - s);
                numerator += dY[at] * gamma[ch] * u;
            }
            if (dX.IsEmpty) continue;
            for (int k = 0; k < m; k++)
            {
                int at = group * m + k, ch = group % groups * cg + k / hw;
                double s = 1 / (1 + Math.Exp(-(double)v[ch] * x[at]));
                double direct = dY[at] * gamma[ch] * inv * (s + v[ch] * x[at] * s * (1 - s));
                dX[at] += (float)(direct - (x[at] - mu) * inv * inv * inv * numerator / m);
            }
        }
        for (int ch = 0; ch < c; ch++)
        {
            if (!dBeta.IsEmpty) dBeta[ch] += (float)sums[ch];
            if (!dGamma.IsEmpty) dGamma[ch] += (float)sums[c + ch];
            if (!dV.IsEmpty) dV[ch] += (float)sums[2 * c + ch];
        }
    }
}
