using System.Runtime.CompilerServices;

namespace NanoFed.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// Packs rows [i0, i0+mr) and depths [p0, p0+kc) of op(A) into one micro-panel dst[kc][MR]
    /// (MR consecutive floats per depth p), zero-padding rows mr..MR-1. op(A)[i,p] is a[i·lda + p] when
    /// A is not transposed (A stored M×K) and a[p·lda + i] when it is (A stored K×M); no transpose is materialized.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void PackA(Transpose transA, float* a, int lda, int i0, int mr, int p0, int kc, int MR, float* dst)
    {
        if (transA == Transpose.No)
        {
            // Each row is contiguous in p: walk it once, writing with stride MR (the panel fits in L1).
            for (int r = 0; r < mr; r++)
            {
                float* src = a + (long)(i0 + r) * lda + p0;
                float* d = dst + r;
                for (int p = 0; p < kc; p++) d[p * MR] = src[p];
            }
        }
        else
        {
            // The mr rows of one depth p are contiguous: copy them as one block.
            for (int p = 0; p < kc; p++)
                Unsafe.CopyBlockUnaligned(dst + p * MR, a + (long)(p0 + p) * lda + i0, (uint)(mr * sizeof(float)));
        }
        if (mr < MR)
        {
            for (int p = 0; p < kc; p++)
                for (int r = mr; r < MR; r++) dst[p * MR + r] = 0;
        }
    }

    /// <summary>
    /// Packs depths [p0, p0+kc) and columns [j0, j0+nr) of op(B) into one micro-panel dst[kc][NR]
    /// (NR consecutive floats per depth p), zero-padding columns nr..NR-1. op(B)[p,j] is b[p·ldb + j] when
    /// B is not transposed (B stored K×N) and b[j·ldb + p] when it is (B stored N×K).
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void PackB(Transpose transB, float* b, int ldb, int p0, int kc, int j0, int nr, int NR, float* dst)
    {
        if (transB == Transpose.No)
        {
            // Each depth's nr columns are contiguous: one block copy per p.
            for (int p = 0; p < kc; p++)
                Unsafe.CopyBlockUnaligned(dst + p * NR, b + (long)(p0 + p) * ldb + j0, (uint)(nr * sizeof(float)));
        }
        else
        {
            // Each column is contiguous in p: walk it once, writing with stride NR.
            for (int j = 0; j < nr; j++)
            {
                float* src = b + (long)(j0 + j) * ldb + p0;
                float* d = dst + j;
                for (int p = 0; p < kc; p++) d[p * NR] = src[p];
            }
        }
        if (nr < NR)
        {
            for (int p = 0; p < kc; p++)
                for (int j = nr; j < NR; j++) dst[p * NR + j] = 0;
        }
    }
}
