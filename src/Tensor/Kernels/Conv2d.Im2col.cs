using System.Runtime.CompilerServices;

namespace NanoFed.Kernels;

public static unsafe partial class Conv2d
{
    /// <summary>
    /// Per-thread im2col buffer, grown on demand and then reused, so that a training step in steady state
    /// allocates nothing. Each worker thread has its own, because images are processed in parallel.
    /// </summary>
    [ThreadStatic]
    private static float[]? t_col;

    /// <summary>Per-caller buffer of the batch partials of backward-weight (written by the workers of one call).</summary>
    [ThreadStatic]
    private static float[]? t_partials;

    private static float[] ColScratch(int length)
    {
        var a = t_col;
        if (a is null || a.Length < length) t_col = a = GC.AllocateUninitializedArray<float>(length, pinned: true);
        return a;
    }

    private static float[] PartialScratch(int length)
    {
        var a = t_partials;
        if (a is null || a.Length < length) t_partials = a = GC.AllocateUninitializedArray<float>(length, pinned: true);
        return a;
    }

    /// <summary>
    /// Overwrites col (C·R·S rows × P·Q columns, row stride <paramref name="ldCol"/>) with the patches of one image
    /// x (C, H, W): row (c, r, s), column (p, q) holds x[c, p·StrideH − PadH + r, q·StrideW − PadW + s], or 0 where
    /// that falls in the padding.
    /// </summary>
    internal static void Im2col(float* x, float* col, int ldCol, in Conv2dGeometry g)
    {
        int P = g.P, Q = g.Q, H = g.H, W = g.W;
        for (int c = 0; c < g.C; c++)
        {
            float* plane = x + (long)c * H * W;
            for (int r = 0; r < g.R; r++)
            {
                for (int s = 0; s < g.S; s++)
                {
                    float* dst = col + (long)((c * g.R + r) * g.S + s) * ldCol;
                    ValidRange(s, g.PadW, g.StrideW, W, Q, out int qLo, out int qHi);
                    for (int p = 0; p < P; p++)
                    {
                        float* d = dst + p * Q;
                        int h = p * g.StrideH - g.PadH + r;
                        if ((uint)h >= (uint)H)
                        {
                            new Span<float>(d, Q).Clear();
                            continue;
                        }
                        new Span<float>(d, qLo).Clear();
                        new Span<float>(d + qHi, Q - qHi).Clear();
                        float* src = plane + h * W - g.PadW + s;
                        if (g.StrideW == 1)
                            new ReadOnlySpan<float>(src + qLo, qHi - qLo).CopyTo(new Span<float>(d + qLo, qHi - qLo));
                        else
                            for (int q = qLo; q < qHi; q++) d[q] = src[q * g.StrideW];
                    }
                }
            }
        }
    }

    /// <summary>
    /// The adjoint of <see cref="Im2col"/>: accumulates every entry of col (C·R·S × P·Q, row stride
    /// <paramref name="ldCol"/>) into the input position of one image dX (C, H, W) it was copied from; entries that
    /// came from the padding are dropped.
    /// </summary>
    internal static void Col2im(float* col, int ldCol, float* dX, in Conv2dGeometry g)
    {
        int P = g.P, Q = g.Q, H = g.H, W = g.W;
        for (int c = 0; c < g.C; c++)
        {
            float* plane = dX + (long)c * H * W;
            for (int r = 0; r < g.R; r++)
            {
                for (int s = 0; s < g.S; s++)
                {
                    float* srcRows = col + (long)((c * g.R + r) * g.S + s) * ldCol;
                    ValidRange(s, g.PadW, g.StrideW, W, Q, out int qLo, out int qHi);
                    for (int p = 0; p < P; p++)
                    {
                        int h = p * g.StrideH - g.PadH + r;
                        if ((uint)h >= (uint)H) continue;
                        float* src = srcRows + p * Q;
                        float* d = plane + h * W - g.PadW + s;
                        if (g.StrideW == 1)
                        {
                            var dst = new Span<float>(d + qLo, qHi - qLo);
                            System.Numerics.Tensors.TensorPrimitives.Add(dst, new ReadOnlySpan<float>(src + qLo, qHi - qLo), dst);
                        }
                        else
                        {
                            for (int q = qLo; q < qHi; q++) d[q * g.StrideW] += src[q];
                        }
                    }
                }
            }
        }
    }

    /// <summary>The output columns [qLo, qHi) whose input column q·stride − pad + s lies inside [0, W).</summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void ValidRange(int s, int pad, int stride, int w, int q, out int qLo, out int qHi)
    {
        int lo = pad - s;
        qLo = lo <= 0 ? 0 : Math.Min(q, (lo + stride - 1) / stride);
        int hi = w - 1 + pad - s;
        qHi = hi < 0 ? 0 : Math.Min(q, hi / stride + 1);
        if (qHi < qLo) qHi = qLo;
    }
}
