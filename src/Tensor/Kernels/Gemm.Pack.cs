using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NanoFed.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// Packs the rows [i0, i0+rows) of op(A), fewer than MR, at depths [p0, p0+kc) into one micro-panel dst[kc][MR]
    /// (MR consecutive floats per depth p), zero-padding the missing rows: the kernel reads MR rows, and full
    /// micro-panels are read in place. op(A)[i,p] is a[i·lda + p] when A is not transposed (A stored M×K) and
    /// a[p·lda + i] when it is (A stored K×M).
    /// </summary>
    private static void PackPartialA(Transpose transA, float* a, int lda, int i0, int rows, int p0, int kc, int MR, float* dst)
    {
        if (transA == Transpose.No) PackTransposed(a + (long)i0 * lda + p0, lda, rows, kc, MR, dst);
        else PackCopy(a + (long)p0 * lda + i0, lda, rows, kc, MR, dst);
    }

    /// <summary>
    /// Packs depths [p0, p0+kc) and columns [j0, j0+width) of op(B) into ⌈width/NR⌉ consecutive micro-panels
    /// dst[panel][kc][NR] (NR consecutive floats per depth p), zero-padding the last panel's missing columns.
    /// op(B)[p,j] is b[p·ldb + j] when B is not transposed (B stored K×N) and b[j·ldb + p] when it is (B stored N×K).
    /// With <paramref name="partialOnly"/>, full panels are skipped (they are read in place) and only a partial last
    /// panel is written.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void PackB(Transpose transB, float* b, int ldb, int p0, int kc, int j0, int width, int NR, float* dst, bool partialOnly)
    {
        int fullWidth = partialOnly ? width / NR * NR : 0;
        if (transB == Transpose.No)
        {
            // Walk B row by row across all the panels: one contiguous stream per depth p, where a panel at a time
            // would read NR floats from each of kc rows (a new page per row for wide B).
            for (int p = 0; p < kc; p++)
            {
                float* src = b + (long)(p0 + p) * ldb + j0;
                for (int j = fullWidth; j < width; j += NR)
                    PackCopy(src + j, 0, Math.Min(NR, width - j), 1, NR, dst + (long)j * kc + p * NR);
            }
            return;
        }
        for (int j = fullWidth; j < width; j += NR)
            PackTransposed(b + (long)(j0 + j) * ldb + p0, ldb, Math.Min(NR, width - j), kc, NR, dst + (long)j * kc);
    }

    /// <summary>
    /// dst[p·width + r] = src[p·ld + r] for p &lt; kc, r &lt; w, and 0 for w ≤ r &lt; width: each depth's w values are
    /// contiguous in the source, so this is one short vector copy per p.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void PackCopy(float* src, int ld, int w, int kc, int width, float* dst)
    {
        for (int p = 0; p < kc; p++)
        {
            float* s = src + (long)p * ld, d = dst + p * width;
            int r = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; r + 16 <= w; r += 16) Vector512.Store(Vector512.Load(s + r), d + r);
            if (Vector256.IsHardwareAccelerated)
                for (; r + 8 <= w; r += 8) Vector256.Store(Vector256.Load(s + r), d + r);
            if (Vector128.IsHardwareAccelerated)
                for (; r + 4 <= w; r += 4) Vector128.Store(Vector128.Load(s + r), d + r);
            for (; r < w; r++) d[r] = s[r];
            for (; r < width; r++) d[r] = 0;
        }
    }

    /// <summary>
    /// dst[p·width + r] = src[r·ld + p] for p &lt; kc, r &lt; w, and 0 for w ≤ r &lt; width: each of the w source rows is
    /// contiguous in p, so 4×4 blocks are loaded as rows and stored transposed (SSE shuffles); the rest is scalar.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void PackTransposed(float* src, int ld, int w, int kc, int width, float* dst)
    {
        int r = 0;
        if (Sse.IsSupported)
        {
            for (; r + 4 <= w; r += 4)
            {
                float* s0 = src + (long)r * ld, s1 = s0 + ld, s2 = s1 + ld, s3 = s2 + ld;
                float* d = dst + r;
                int p = 0;
                for (; p + 4 <= kc; p += 4)
                {
                    var t0 = Sse.UnpackLow(Sse.LoadVector128(s0 + p), Sse.LoadVector128(s1 + p));
                    var t1 = Sse.UnpackHigh(Sse.LoadVector128(s0 + p), Sse.LoadVector128(s1 + p));
                    var t2 = Sse.UnpackLow(Sse.LoadVector128(s2 + p), Sse.LoadVector128(s3 + p));
                    var t3 = Sse.UnpackHigh(Sse.LoadVector128(s2 + p), Sse.LoadVector128(s3 + p));
                    Sse.Store(d + p * width, Sse.MoveLowToHigh(t0, t2));
                    Sse.Store(d + (p + 1) * width, Sse.MoveHighToLow(t2, t0));
                    Sse.Store(d + (p + 2) * width, Sse.MoveLowToHigh(t1, t3));
                    Sse.Store(d + (p + 3) * width, Sse.MoveHighToLow(t3, t1));
                }
                for (; p < kc; p++)
                {
                    d[p * width] = s0[p];
                    d[p * width + 1] = s1[p];
                    d[p * width + 2] = s2[p];
                    d[p * width + 3] = s3[p];
                }
            }
        }
        for (; r < w; r++)
        {
            float* s = src + (long)r * ld, d = dst + r;
            for (int p = 0; p < kc; p++) d[p * width] = s[p];
        }
        if (w < width)
        {
            for (int p = 0; p < kc; p++)
                for (int z = w; z < width; z++) dst[p * width + z] = 0;
        }
    }
}
