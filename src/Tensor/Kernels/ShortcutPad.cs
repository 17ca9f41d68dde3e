using NanoFed.Threading;

namespace NanoFed.Kernels;

/// <summary>
/// The option-A shortcut of ResNet for CIFAR (He et al., "Deep Residual Learning for Image Recognition", CVPR 2016,
/// section 4.2): subsample by 2 in space and zero-pad channels, exactly PyTorch's
/// <c>F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, (K − C) // 2, (K − C) // 2))</c> with K − C even.
/// x is (N, C, H, W); y is (N, K, P, Q) with P = ceil(H / 2), Q = ceil(W / 2) and pad = (K − C) / 2:
/// y[n, pad + c, p, q] = x[n, c, 2p, 2q], and the first and last pad channels of y are zero.
/// Parallel over output planes (forward) and input planes (backward), each written by one item, so results are
/// identical for any thread count.
/// </summary>
public static class ShortcutPad
{
    /// <summary>y = shortcut(x) (overwrites y). See the class remarks for shapes.</summary>
    public static unsafe void Forward(ReadOnlySpan<float> x, Span<float> y, int n, int c, int h, int w, int k)
    {
        Validate(x.Length, y.Length, n, c, h, w, k);
        fixed (float* px = x, py = y)
            Workers.For(n * k, new ForwardBody(px, py, c, h, w, k));
    }

    /// <summary>dX += the gradient of <see cref="Forward"/>: dX[n, c, 2p, 2q] += dY[n, pad + c, p, q] (accumulates).</summary>
    public static unsafe void BackwardData(ReadOnlySpan<float> dY, Span<float> dX, int n, int c, int h, int w, int k)
    {
        Validate(dX.Length, dY.Length, n, c, h, w, k);
        fixed (float* pdy = dY, pdx = dX)
            Workers.For(n * c, new BackwardBody(pdy, pdx, c, h, w, k));
    }

    /// <summary>Reference twin of <see cref="Forward"/>: every output element from its four indices.</summary>
    public static void ForwardReference(ReadOnlySpan<float> x, Span<float> y, int n, int c, int h, int w, int k)
    {
        Validate(x.Length, y.Length, n, c, h, w, k);
        int pad = (k - c) / 2, p = (h + 1) / 2, q = (w + 1) / 2;
        for (int ni = 0; ni < n; ni++)
            for (int ki = 0; ki < k; ki++)
                for (int pi = 0; pi < p; pi++)
                    for (int qi = 0; qi < q; qi++)
                    {
                        int ci = ki - pad;
                        y[((ni * k + ki) * p + pi) * q + qi] = ci < 0 || ci >= c ? 0 : x[((ni * c + ci) * h + 2 * pi) * w + 2 * qi];
                    }
    }

    /// <summary>Reference twin of <see cref="BackwardData"/>.</summary>
    public static void BackwardDataReference(ReadOnlySpan<float> dY, Span<float> dX, int n, int c, int h, int w, int k)
    {
        Validate(dX.Length, dY.Length, n, c, h, w, k);
        int pad = (k - c) / 2, p = (h + 1) / 2, q = (w + 1) / 2;
        for (int ni = 0; ni < n; ni++)
            for (int ci = 0; ci < c; ci++)
                for (int pi = 0; pi < p; pi++)
                    for (int qi = 0; qi < q; qi++)
                        dX[((ni * c + ci) * h + 2 * pi) * w + 2 * qi] += dY[((ni * k + ci + pad) * p + pi) * q + qi];
    }

    private static void Validate(int xLength, int yLength, int n, int c, int h, int w, int k)
    {
        if (n < 0 || c < 0 || h < 0 || w < 0)
            throw new ArgumentException($"ShortcutA: negative dimension in (N {n}, C {c}, H {h}, W {w})");
        if (k < c || (k - c) % 2 != 0)
            throw new ArgumentException($"ShortcutA: {k} output channels cannot pad {c} input channels symmetrically (need K ≥ C and K − C even)");
        long xNeed = (long)n * c * h * w, yNeed = (long)n * k * ((h + 1) / 2) * ((w + 1) / 2);
        if (xLength != xNeed || yLength != yNeed)
            throw new ArgumentException($"ShortcutA: x has {xLength} elements (need {xNeed} for ({n}, {c}, {h}, {w})), y has {yLength} (need {yNeed} for ({n}, {k}, {(h + 1) / 2}, {(w + 1) / 2}))");
    }

    /// <summary>Item = one output plane (n, k): a strided copy of input plane (n, k − pad), or zeros.</summary>
    private readonly unsafe struct ForwardBody(float* x, float* y, int c, int h, int w, int k) : IParallelBody
    {
        public void Invoke(int index)
        {
            int ni = index / k, ci = index % k - (k - c) / 2, p = (h + 1) / 2, q = (w + 1) / 2;
            float* dst = y + (long)index * p * q;
            if (ci < 0 || ci >= c)
            {
                new Span<float>(dst, p * q).Clear();
                return;
            }
            float* src = x + ((long)ni * c + ci) * h * w;
            for (int pi = 0; pi < p; pi++, dst += q) StridedRows.Even(src + (long)2 * pi * w, dst, q, w);
        }
    }

    /// <summary>Item = one input plane (n, c): accumulates the matching output plane into its even positions.</summary>
    private readonly unsafe struct BackwardBody(float* dY, float* dX, int c, int h, int w, int k) : IParallelBody
    {
        public void Invoke(int index)
        {
            int ni = index / c, ci = index % c, p = (h + 1) / 2, q = (w + 1) / 2;
            float* src = dY + ((long)ni * k + ci + (k - c) / 2) * p * q;
            float* dst = dX + (long)index * h * w;
            for (int pi = 0; pi < p; pi++, src += q) StridedRows.AddToEven(src, dst + (long)2 * pi * w, q);
        }
    }
}
