namespace NanoFed.Kernels;

public static partial class Conv2d
{
    /// <summary>
    /// The direct definition, obviously right (the reference of <see cref="Forward"/>): overwrites
    /// y[n, k, p, q] = bias[k] + Σ_{c, r, s} x[n, c, p·StrideH − PadH + r, q·StrideW − PadW + s] · w[k, c, r, s],
    /// with out-of-range x read as 0 and an empty bias read as 0. Sums in double.
    /// </summary>
    public static void ForwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        Span<float> y, in Conv2dGeometry g)
    {
        g.CheckLengths("forward", x.Length, w.Length, bias.Length, y.Length);
        int P = g.P, Q = g.Q;
        for (int n = 0; n < g.N; n++)
        for (int k = 0; k < g.K; k++)
        for (int p = 0; p < P; p++)
        for (int q = 0; q < Q; q++)
        {
            double sum = bias.IsEmpty ? 0 : bias[k];
            for (int c = 0; c < g.C; c++)
            for (int r = 0; r < g.R; r++)
            for (int s = 0; s < g.S; s++)
            {
                int h = p * g.StrideH - g.PadH + r, v = q * g.StrideW - g.PadW + s;
                if ((uint)h < (uint)g.H && (uint)v < (uint)g.W)
                    sum += (double)x[((n * g.C + c) * g.H + h) * g.W + v] * w[((k * g.C + c) * g.R + r) * g.S + s];
            }
            y[((n * g.K + k) * P + p) * Q + q] = (float)sum;
        }
    }

    /// <summary>
    /// The reference of <see cref="BackwardData"/>: accumulates dX[n, c, h, w] += Σ dY[n, k, p, q] · w[k, c, r, s]
    /// over every (k, p, q, r, s) with h = p·StrideH − PadH + r and w = q·StrideW − PadW + s.
    /// </summary>
    public static void BackwardDataReference(ReadOnlySpan<float> dY, ReadOnlySpan<float> w, Span<float> dX, in Conv2dGeometry g)
    {
        g.CheckLengths("backward-data", dX.Length, w.Length, 0, dY.Length);
        int P = g.P, Q = g.Q;
        var sums = new double[dX.Length];
        for (int n = 0; n < g.N; n++)
        for (int k = 0; k < g.K; k++)
        for (int p = 0; p < P; p++)
        for (int q = 0; q < Q; q++)
        {
            double dy = dY[((n * g.K + k) * P + p) * Q + q];
            for (int c = 0; c < g.C; c++)
            for (int r = 0; r < g.R; r++)
            for (int s = 0; s < g.S; s++)
            {
                int h = p * g.StrideH - g.PadH + r, v = q * g.StrideW - g.PadW + s;
                if ((uint)h < (uint)g.H && (uint)v < (uint)g.W)
                    sums[((n * g.C + c) * g.H + h) * g.W + v] += dy * w[((k * g.C + c) * g.R + r) * g.S + s];
            }
        }
        for (int i = 0; i < dX.Length; i++) dX[i] = (float)(dX[i] + sums[i]);
    }

    /// <summary>
    /// The reference of <see cref="BackwardWeight"/>: accumulates dW[k, c, r, s] += Σ_{n, p, q} dY[n, k, p, q] ·
    /// x[n, c, p·StrideH − PadH + r, q·StrideW − PadW + s] and dB[k] += Σ_{n, p, q} dY[n, k, p, q]; empty dW or dB is skipped.
    /// </summary>
    public static void BackwardWeightReference(ReadOnlySpan<float> x, ReadOnlySpan<float> dY, Span<float> dW, Span<float> dB,
        in Conv2dGeometry g)
    {
        g.CheckLengths("backward-weight", x.Length, dW.IsEmpty ? -1 : dW.Length, dB.Length, dY.Length);
        int P = g.P, Q = g.Q;
        for (int k = 0; k < g.K; k++)
        {
            double bsum = 0;
            for (int n = 0; n < g.N; n++)
            for (int p = 0; p < P; p++)
            for (int q = 0; q < Q; q++)
                bsum += dY[((n * g.K + k) * P + p) * Q + q];
            if (!dB.IsEmpty) dB[k] = (float)(dB[k] + bsum);
            if (dW.IsEmpty) continue;
            for (int c = 0; c < g.C; c++)
            for (int r = 0; r < g.R; r++)
            for (int s = 0; s < g.S; s++)
            {
                double sum = 0;
                for (int n = 0; n < g.N; n++)
                for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++)
                {
                    int h = p * g.StrideH - g.PadH + r, v = q * g.StrideW - g.PadW + s;
                    if ((uint)h < (uint)g.H && (uint)v < (uint)g.W)
                        sum += (double)dY[((n * g.K + k) * P + p) * Q + q] * x[((n * g.C + c) * g.H + h) * g.W + v];
                }
                ref float d = ref dW[((k * g.C + c) * g.R + r) * g.S + s];
                d = (float)(d + sum);
            }
        }
    }

    /// <summary>
    /// The reference of Conv2d.Winograd.cs: F(m×m, 3×3) Winograd on a 3×3, stride-1, pad-1 geometry, written as the
    /// matrix products of the definition and computed in double (with the float matrices, whose 1/6, 1/12 and
    /// 1/24 are rounded), so that it matches <see cref="ForwardReference"/> to about 1e-7 relative when the
    /// transform matrices are right. For each image, tile and filter k: y tile = Aᵀ [Σ_c (G w[k, c] Gᵀ) ⊙
    /// (Bᵀ d_c B)] A + bias[k], clipped to P×Q; d_c is the α×α input tile of channel c (zero outside the image).
    /// Overwrites y.
    /// </summary>
    internal static void ForwardWinogradReference(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        Span<float> y, in Conv2dGeometry g, int tile)
    {
        g.CheckLengths("forward", x.Length, w.Length, bias.Length, y.Length);
        int alpha = tile + 2, points = alpha * alpha, P = g.P, Q = g.Q;
        var plan = WinogradPlan.Create(g, tile, 1);
        var u = new double[g.K * g.C][];
        var gk = new double[9];
        for (int kc = 0; kc < u.Length; kc++)
        {
            for (int e = 0; e < 9; e++) gk[e] = w[kc * 9 + e];
            u[kc] = Sandwich(plan.GMatrix, alpha, 3, gk);
        }
        var v = new double[g.C][];
        var d = new double[points];
        for (int n = 0; n < g.N; n++)
        for (int p0 = 0; p0 < P; p0 += tile)
        for (int q0 = 0; q0 < Q; q0 += tile)
        {
            for (int c = 0; c < g.C; c++)
            {
                for (int i = 0; i < alpha; i++)
                for (int j = 0; j < alpha; j++)
                {
                    int h = p0 - 1 + i, col = q0 - 1 + j;
                    d[i * alpha + j] = (uint)h < (uint)g.H && (uint)col < (uint)g.W ? x[((n * g.C + c) * g.H + h) * g.W + col] : 0;
                }
                v[c] = Sandwich(plan.BT, alpha, alpha, d);
            }
            for (int k = 0; k < g.K; k++)
            {
                var m = new double[points];
                for (int c = 0; c < g.C; c++)
                    for (int e = 0; e < points; e++) m[e] += u[k * g.C + c][e] * v[c][e];
                var o = Sandwich(plan.AT, tile, alpha, m);
                for (int a = 0; a < tile && p0 + a < P; a++)
                    for (int b = 0; b < tile && q0 + b < Q; b++)
                        y[((n * g.K + k) * P + p0 + a) * Q + q0 + b] = (float)(o[a * tile + b] + (bias.IsEmpty ? 0 : bias[k]));
            }
        }
    }

    /// <summary>
    /// dW (K, C, 3, 3) += Gᵀ (Σ_tiles (A dy Aᵀ) ⊙ (Bᵀ d B)) G, Winograd F(2×2, 3×3)'s filter gradient of a 3×3,
    /// stride-1, pad-1 geometry, in double: the definition <see cref="WeightWinograd"/> implements, checked against
    /// <see cref="BackwardWeightReference"/> (the transforms are right) and checking the kernel.
    /// </summary>
    internal static void BackwardWeightWinogradReference(ReadOnlySpan<float> x, ReadOnlySpan<float> dY, Span<float> dW, in Conv2dGeometry g)
    {
        g.CheckLengths("backward-weight", x.Length, dW.Length, 0, dY.Length);
        int P = g.P, Q = g.Q;
        var A = new float[8];
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 2; b++) A[a * 2 + b] = AT2[b * 4 + a];
        var m = new double[g.K * g.C][];
        for (int i = 0; i < m.Length; i++) m[i] = new double[16];
        var v = new double[g.C][];
        var d = new double[16];
        var dy = new double[4];
        for (int n = 0; n < g.N; n++)
        for (int p0 = 0; p0 < P; p0 += 2)
        for (int q0 = 0; q0 < Q; q0 += 2)
        {
            for (int c = 0; c < g.C; c++)
            {
                for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                {
                    int h = p0 - 1 + i, col = q0 - 1 + j;
                    d[i * 4 + j] = (uint)h < (uint)g.H && (uint)col < (uint)g.W ? x[((n * g.C + c) * g.H + h) * g.W + col] : 0;
                }
                v[c] = Sandwich(BT2, 4, 4, d);
            }
            for (int k = 0; k < g.K; k++)
            {
                for (int a = 0; a < 2; a++)
                for (int b = 0; b < 2; b++)
                    dy[a * 2 + b] = p0 + a < P && q0 + b < Q ? dY[((n * g.K + k) * P + p0 + a) * Q + q0 + b] : 0;
                var u = Sandwich(A, 4, 2, dy);
                for (int c = 0; c < g.C; c++)
                    for (int e = 0; e < 16; e++) m[k * g.C + c][e] += u[e] * v[c][e];
            }
        }
        for (int kc = 0; kc < m.Length; kc++)
        {
            var o = Sandwich(GT2, 3, 4, m[kc]);
            for (int e = 0; e < 9; e++) dW[kc * 9 + e] += (float)o[e];
        }
    }

    /// <summary>T X Tᵀ for T (rows × cols, row-major) and X (cols × cols), in double.</summary>
    private static double[] Sandwich(ReadOnlySpan<float> t, int rows, int cols, double[] x)
    {
        var r = new double[rows * rows];
        for (int a = 0; a < rows; a++)
        for (int b = 0; b < rows; b++)
        for (int i = 0; i < cols; i++)
        for (int j = 0; j < cols; j++)
            r[a * rows + b] += t[a * cols + i] * x[i * cols + j] * t[b * cols + j];
        return r;
    }
}
