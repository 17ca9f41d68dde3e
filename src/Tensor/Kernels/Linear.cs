namespace NanoFed.Kernels;

/// <summary>
/// Fully connected layer in PyTorch's layout, on top of <see cref="Gemm.Sgemm"/>:
/// x (N, In), w (Out, In), b (Out), y (N, Out); y = x · wᵀ + b.
/// (In GEMM terms: NT with M = N rows, N = Out columns, K = In.)
/// </summary>
public static class Linear
{
    /// <summary>Overwrites y = x · wᵀ + b (b may be empty: no bias). Shapes as in the class remarks.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, int n, int inFeatures, int outFeatures)
    {
        Validate(x.Length, w.Length, b.Length, y.Length, n, inFeatures, outFeatures, "y");
        float beta = 0;
        if (!b.IsEmpty)
        {
            // Seed every row of y with the bias and let the GEMM add onto it (beta = 1): no second pass.
            for (int row = 0; row < n; row++) b.CopyTo(y.Slice(row * outFeatures, outFeatures));
            beta = 1;
        }
        Gemm.Sgemm(Transpose.No, Transpose.Yes, n, outFeatures, inFeatures, 1f, x, inFeatures, w, inFeatures, beta, y, outFeatures);
    }

    /// <summary>Accumulates dX += dY · w. dY (N, Out), w (Out, In), dX (N, In).</summary>
    public static void BackwardData(ReadOnlySpan<float> dY, ReadOnlySpan<float> w, Span<float> dX, int n, int inFeatures, int outFeatures)
    {
        Validate(dX.Length, w.Length, 0, dY.Length, n, inFeatures, outFeatures, "dY");
        Gemm.Sgemm(Transpose.No, Transpose.No, n, inFeatures, outFeatures, 1f, dY, outFeatures, w, inFeatures, 1f, dX, inFeatures);
    }

    /// <summary>Accumulates dW += dYᵀ · x. dY (N, Out), x (N, In), dW (Out, In).</summary>
    public static void BackwardWeight(ReadOnlySpan<float> dY, ReadOnlySpan<float> x, Span<float> dW, int n, int inFeatures, int outFeatures)
    {
        Validate(x.Length, dW.Length, 0, dY.Length, n, inFeatures, outFeatures, "dY");
        Gemm.Sgemm(Transpose.Yes, Transpose.No, outFeatures, inFeatures, n, 1f, dY, outFeatures, x, inFeatures, 1f, dW, inFeatures);
    }

    /// <summary>
    /// Accumulates dB[o] += Σ_n dY[n, o]. dY (N, Out), dB (Out). Each column is summed over rows in increasing
    /// order in double, then rounded once: deterministic and independent of ISA and thread count.
    /// </summary>
    public static void BackwardBias(ReadOnlySpan<float> dY, Span<float> dB, int n, int outFeatures)
    {
        if (n < 0 || outFeatures < 0 || dY.Length != n * outFeatures || dB.Length != outFeatures)
            throw new ArgumentException($"linear bias backward: dY has {dY.Length} elements, dB {dB.Length}, for N={n} Out={outFeatures}");
        const int Block = 64;
        Span<double> sums = stackalloc double[Block];
        for (int o0 = 0; o0 < outFeatures; o0 += Block)
        {
            int width = Math.Min(Block, outFeatures - o0);
            var s = sums[..width];
            s.Clear();
            for (int row = 0; row < n; row++)
            {
                var r = dY.Slice(row * outFeatures + o0, width);
                for (int j = 0; j < width; j++) s[j] += r[j];
            }
            for (int j = 0; j < width; j++) dB[o0 + j] += (float)s[j];
        }
    }

    /// <summary>The naive reference of <see cref="Forward"/>: one double dot product per output, in increasing order.</summary>
    public static void ForwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, int n, int inFeatures, int outFeatures)
    {
        Validate(x.Length, w.Length, b.Length, y.Length, n, inFeatures, outFeatures, "y");
        for (int row = 0; row < n; row++)
        {
            for (int o = 0; o < outFeatures; o++)
            {
                double sum = b.IsEmpty ? 0 : b[o];
                for (int i = 0; i < inFeatures; i++) sum += (double)x[row * inFeatures + i] * w[o * inFeatures + i];
                y[row * outFeatures + o] = (float)sum;
            }
        }
    }

    /// <summary>The naive reference of the three backward kernels (each accumulates; pass empty spans to skip one).</summary>
    public static void BackwardReference(ReadOnlySpan<float> dY, ReadOnlySpan<float> x, ReadOnlySpan<float> w,
        Span<float> dX, Span<float> dW, Span<float> dB, int n, int inFeatures, int outFeatures)
    {
        for (int row = 0; row < n; row++)
        {
            for (int o = 0; o < outFeatures; o++)
            {
                float g = dY[row * outFeatures + o];
                if (!dB.IsEmpty) dB[o] += g;
                for (int i = 0; i < inFeatures; i++)
                {
                    if (!dX.IsEmpty) dX[row * inFeatures + i] += g * w[o * inFeatures + i];
                    if (!dW.IsEmpty) dW[o * inFeatures + i] += g * x[row * inFeatures + i];
                }
            }
        }
    }

    private static void Validate(int xLength, int wLength, int bLength, int yLength, int n, int inFeatures, int outFeatures, string yName)
    {
        if (n < 0 || inFeatures < 0 || outFeatures < 0
            || xLength != n * inFeatures || wLength != outFeatures * inFeatures || yLength != n * outFeatures
            || (bLength != 0 && bLength != outFeatures))
            throw new ArgumentException(
                $"linear: N={n} In={inFeatures} Out={outFeatures} needs x {n * inFeatures}, w {outFeatures * inFeatures}, b 0 or {outFeatures}, {yName} {n * outFeatures} elements; got {xLength}, {wLength}, {bLength}, {yLength}");
    }
}
