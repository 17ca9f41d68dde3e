namespace NanoFed.Kernels;

/// <summary>The naive references of batch normalization: textbook formulas in double, one channel at a time.</summary>
public static partial class BatchNorm2d
{
    /// <summary>The reference of <see cref="Forward"/> (same buffers and contract).</summary>
    public static void ForwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y,
        Span<float> mean, Span<float> invStd, Span<float> runningMean, Span<float> runningVar,
        int n, int c, int hw, BatchNormMode mode, float momentum = 0.1f, float eps = 1e-5f)
    {
        Validate(x.Length, y.Length, gamma.Length, beta.Length, mean.Length, invStd.Length, n, c, hw);
        double m = (double)n * hw;
        for (int ch = 0; ch < c; ch++)
        {
            double mu, variance;
            if (mode == BatchNormMode.Eval)
            {
                mu = runningMean[ch];
                variance = runningVar[ch];
            }
            else
            {
                double sum = 0, squares = 0;
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < hw; j++) sum += x[(i * c + ch) * hw + j];
                mu = sum / m;
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < hw; j++) squares += Math.Pow(x[(i * c + ch) * hw + j] - mu, 2);
                variance = squares / m;
                if (mode == BatchNormMode.Train)
                {
                    runningMean[ch] = (float)((1 - momentum) * (double)runningMean[ch] + momentum * mu);
                    runningVar[ch] = (float)((1 - momentum) * (double)runningVar[ch] + momentum * variance * m / (m - 1));
                }
            }
            double inv = 1 / Math.Sqrt(variance + eps);
            mean[ch] = (float)mu;
            invStd[ch] = (float)inv;
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < hw; j++)
                {
                    int k = (i * c + ch) * hw + j;
                    y[k] = (float)((x[k] - mu) * inv * gamma[ch] + beta[ch]);
                }
            }
        }
    }

    /// <summary>The reference of <see cref="Backward"/> (accumulates; empty spans skip a gradient).</summary>
    public static void BackwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> dY, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, Span<float> dX, Span<float> dGamma, Span<float> dBeta,
        int n, int c, int hw, BatchNormMode mode)
    {
        Validate(x.Length, dY.Length, gamma.Length, gamma.Length, mean.Length, invStd.Length, n, c, hw);
        double m = (double)n * hw;
        for (int ch = 0; ch < c; ch++)
        {
            double sumDy = 0, sumDyXhat = 0;
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < hw; j++)
                {
                    int k = (i * c + ch) * hw + j;
                    sumDy += dY[k];
                    sumDyXhat += dY[k] * ((x[k] - (double)mean[ch]) * invStd[ch]);
                }
            }
            if (!dBeta.IsEmpty) dBeta[ch] += (float)sumDy;
            if (!dGamma.IsEmpty) dGamma[ch] += (float)sumDyXhat;
            if (dX.IsEmpty) continue;
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < hw; j++)
                {
                    int k = (i * c + ch) * hw + j;
                    double xhat = (x[k] - (double)mean[ch]) * invStd[ch];
                    double g = mode == BatchNormMode.Eval ? dY[k] : dY[k] - sumDy / m - xhat * sumDyXhat / m;
                    dX[k] += (float)(gamma[ch] * (double)invStd[ch] * g);
                }
            }
        }
    }
}
