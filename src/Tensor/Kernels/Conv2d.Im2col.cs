using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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

    /// <summary>Per-caller buffer of the flipped filters of backward-data.</summary>
    [ThreadStatic]
    private static float[]? t_flip;

    private static float[] FlipScratch(int length)
    {
        var a = t_flip;
        if (a is null || a.Length < length) t_flip = a = GC.AllocateUninitializedArray<float>(length, pinned: true);
        return a;
    }

    /// <summary>Per-thread zero-bordered image of the stride-2 im2col.</summary>
    [ThreadStatic]
    private static float[]? t_pad;

    private static float[] PadScratch(int length)
    {
        var a = t_pad;
        if (a is null || a.Length < length) t_pad = a = GC.AllocateUninitializedArray<float>(length, pinned: true);
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
        if (IsSameStride1(g))
        {
            for (int c = 0; c < g.C; c++)
                for (int r = 0; r < g.R; r++)
                    for (int s = 0; s < g.S; s++)
                        Im2colSameRow(x + (long)c * H * W, col + (long)((c * g.R + r) * g.S + s) * ldCol, r - g.PadH, s - g.PadW, H, W);
            return;
        }
        if (g.StrideW == 2)
        {
            Im2colStride2(x, col, ldCol, g);
            return;
        }
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
    /// <see cref="Im2col"/> for a column stride of 2, where a row copy would gather every other float one at a time: the
    /// image is first copied inside a zero border (PadH, PadW), so that every output row reads 2·Q floats of one bordered
    /// row from a fixed start, and the even ones are picked with vector narrowing (<see cref="StridedRows.Even"/>).
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void Im2colStride2(float* x, float* col, int ldCol, in Conv2dGeometry g)
    {
        int hp = g.H + 2 * g.PadH, wp = g.W + 2 * g.PadW, plane = hp * wp, length = g.C * plane;
        fixed (float* xpad = PadScratch(length))
        {
            new Span<float>(xpad, length).Clear();
            for (int c = 0; c < g.C; c++)
                for (int h = 0; h < g.H; h++)
                    CopyShort(x + ((long)c * g.H + h) * g.W, xpad + (long)c * plane + (h + g.PadH) * wp + g.PadW, g.W);
            for (int c = 0; c < g.C; c++)
                for (int r = 0; r < g.R; r++)
                    for (int s = 0; s < g.S; s++)
                    {
                        float* dst = col + (long)((c * g.R + r) * g.S + s) * ldCol;
                        float* src = xpad + (long)c * plane + r * wp + s;
                        for (int p = 0; p < g.P; p++) StridedRows.Even(src + (long)p * g.StrideH * wp, dst + p * g.Q, g.Q, 2 * g.Q - 1);
                    }
        }
    }

    /// <summary>Copies n floats with inline vector moves: image and patch rows are too short to pay for a memmove call.</summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void CopyShort(float* src, float* dst, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16) Vector512.Store(Vector512.Load(src + i), dst + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.Load(src + i), dst + i);
        if (Vector128.IsHardwareAccelerated)
            for (; i + 4 <= n; i += 4) Vector128.Store(Vector128.Load(src + i), dst + i);
        for (; i < n; i++) dst[i] = src[i];
    }

    /// <summary>
    /// The adjoint of <see cref="Im2col"/>: accumulates every entry of col (C·R·S × P·Q, row stride
    /// <paramref name="ldCol"/>) into the input position of one image dX (C, H, W) it was copied from; entries that
    /// came from the padding are dropped.
    /// </summary>
    internal static void Col2im(float* col, int ldCol, float* dX, in Conv2dGeometry g)
    {
        int P = g.P, Q = g.Q, H = g.H, W = g.W;
        if (IsSameStride1(g))
        {
            for (int c = 0; c < g.C; c++)
                for (int r = 0; r < g.R; r++)
                    for (int s = 0; s < g.S; s++)
                        Col2imSameRow(col + (long)((c * g.R + r) * g.S + s) * ldCol, dX + (long)c * H * W, r - g.PadH, s - g.PadW, H, W);
            return;
        }
        if (g.StrideW == 2)
        {
            Col2imStride2(col, ldCol, dX, g);
            return;
        }
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

    /// <summary>
    /// <see cref="Col2im"/> for a column stride of 2, the adjoint of <see cref="Im2colStride2"/>: the rows are added into a
    /// zero-bordered image with vector widening (<see cref="StridedRows.AddToEven"/>), whose interior is then added into dX.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void Col2imStride2(float* col, int ldCol, float* dX, in Conv2dGeometry g)
    {
        int hp = g.H + 2 * g.PadH, wp = g.W + 2 * g.PadW, plane = hp * wp, length = g.C * plane;
        fixed (float* dxpad = PadScratch(length))
        {
            new Span<float>(dxpad, length).Clear();
            for (int c = 0; c < g.C; c++)
                for (int r = 0; r < g.R; r++)
                    for (int s = 0; s < g.S; s++)
                    {
                        float* src = col + (long)((c * g.R + r) * g.S + s) * ldCol;
                        float* dst = dxpad + (long)c * plane + r * wp + s;
                        for (int p = 0; p < g.P; p++) StridedRows.AddToEven(src + p * g.Q, dst + (long)p * g.StrideH * wp, g.Q);
                    }
            for (int c = 0; c < g.C; c++)
                for (int h = 0; h < g.H; h++)
                {
                    var dst = new Span<float>(dX + ((long)c * g.H + h) * g.W, g.W);
                    System.Numerics.Tensors.TensorPrimitives.Add(dst, new ReadOnlySpan<float>(dxpad + (long)c * plane + (h + g.PadH) * wp + g.PadW, g.W), dst);
                }
        }
    }


    /// <summary>
    /// Stride 1 with an output plane the size of the input ("same" padding, the 3×3 pad-1 hot case): each im2col
    /// row is the input plane shifted by (dh, dw), so it is one contiguous copy plus the zeroing of the rows and
    /// columns that fall in the padding, instead of a short copy per output row.
    /// </summary>
    private static bool IsSameStride1(in Conv2dGeometry g) => g.StrideH == 1 && g.StrideW == 1 && g.P == g.H && g.Q == g.W;

    /// <summary>Overwrites dst (H·W) with the plane (H, W) shifted by (dh, dw): dst[p, q] = plane[p + dh, q + dw], 0 outside.</summary>
    private static void Im2colSameRow(float* plane, float* dst, int dh, int dw, int h, int w)
    {
        if (!SameRowBand(dh, dw, h, w, out int p0, out int p1, out int start, out int tLo, out int tHi))
        {
            new Span<float>(dst, h * w).Clear();
            return;
        }
        new Span<float>(dst, p0 * w).Clear();
        new Span<float>(dst + p1 * w, (h - p1) * w).Clear();
        float* band = dst + p0 * w;
        new Span<float>(band, tLo).Clear();
        new ReadOnlySpan<float>(plane + start + tLo, tHi - tLo).CopyTo(new Span<float>(band + tLo, tHi - tLo));
        new Span<float>(band + tHi, (p1 - p0) * w - tHi).Clear();
        ZeroWrappedColumns(band, p1 - p0, dw, w);
    }

    /// <summary>
    /// Accumulates src (H·W, an im2col row) into the plane (H, W) at the shift (dh, dw); src's padding entries
    /// (the columns that wrap around a row edge) are zeroed first, so src is modified.
    /// </summary>
    private static void Col2imSameRow(float* src, float* plane, int dh, int dw, int h, int w)
    {
        if (!SameRowBand(dh, dw, h, w, out int p0, out int p1, out int start, out int tLo, out int tHi)) return;
        float* band = src + p0 * w;
        ZeroWrappedColumns(band, p1 - p0, dw, w);
        var dst = new Span<float>(plane + start + tLo, tHi - tLo);
        System.Numerics.Tensors.TensorPrimitives.Add(dst, new ReadOnlySpan<float>(band + tLo, tHi - tLo), dst);
    }

    /// <summary>
    /// The part of the plane (H, W) that a shift by (dh, dw) maps onto an im2col row: output rows [p0, p1) have source
    /// rows inside the plane, and the band of those rows, read as one run of floats, holds plane[start + t] at t in
    /// [tLo, tHi), with 0 ≤ tLo ≤ tHi ≤ (p1 − p0)·W and the source inside [0, H·W); the rest of the band, and the
    /// columns that wrap around a row edge, are padding. False when no output row has a source row. A shift wider
    /// than the plane (a "same" filter larger than its map, 5×5 on 1×1) leaves an empty run, never one that ends
    /// before it starts.
    /// </summary>
    private static bool SameRowBand(int dh, int dw, int h, int w, out int p0, out int p1, out int start, out int tLo, out int tHi)
    {
        p0 = Math.Max(0, -dh);
        p1 = Math.Min(h, h - dh);
        int len = (p1 - p0) * w;
        start = (p0 + dh) * w + dw;
        tLo = Math.Clamp(-start, 0, Math.Max(len, 0));
        tHi = Math.Clamp(h * w - start, tLo, Math.Max(len, tLo));
        return p1 > p0;
    }

    /// <summary>Zeroes, in each of <paramref name="rows"/> rows of width w, the columns whose source column q + dw is outside [0, w).</summary>
    private static void ZeroWrappedColumns(float* band, int rows, int dw, int w)
    {
        if (dw == 0) return;
        int n = Math.Min(w, Math.Abs(dw)), q0 = dw < 0 ? 0 : w - n;
        for (int p = 0; p < rows; p++)
            for (int q = q0; q < q0 + n; q++) band[p * w + q] = 0;
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
