using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NanoFed.Kernels;

/// <summary>
/// The micro-kernel contract (BLIS's KernelsHowTo): given micro-panels of A and B, computes
/// C[m,n] := alpha · A·B + beta · C for one MR×NR tile, where
/// <list type="bullet">
/// <item>A is a micro-panel of MR rows by kc depths with element (r, p) at a[r·rsA + p·psA]: read in place from
/// op(A) (rsA = lda, psA = 1 when A is stored M×K; rsA = 1, psA = lda when stored K×M) or, for the last rows of
/// an M that is not a multiple of MR, packed and zero-padded as [kc][MR] (rsA = 1, psA = MR),</item>
/// <item>B is a micro-panel of kc rows of NR consecutive floats, ldb apart: packed (ldb = NR, 64-byte aligned) or,
/// for skinny M, read in place from a row-major op(B) (ldb = its leading dimension),</item>
/// <item>C is row-major with leading dimension ldc, and the whole MR×NR tile is written: an edge tile (m &lt; MR rows
/// or n &lt; NR columns left) goes through <see cref="Gemm.RunEdge{TKernel}"/>, which has the kernel write a tile on
/// the stack and copies its valid corner,</item>
/// <item>when beta is 0, C is never read (it may hold NaN).</item>
/// </list>
/// Each C element is one chain of fused multiply-adds over p = 0..kc-1 in increasing order, whatever the
/// tile position, so the result does not depend on how tiles are assigned to threads. A kernel calls nothing
/// (<see cref="Inlining.MicroKernel"/> says why).
/// </summary>
internal unsafe interface IMicroKernel
{
    /// <summary>Rows of the register tile.</summary>
    static abstract int MR { get; }

    /// <summary>Columns of the register tile.</summary>
    static abstract int NR { get; }

    /// <summary>Runs the tile (see the interface remarks).</summary>
    static abstract void Run(int kc, float* a, nint rsA, nint psA, float* b, int ldb, float* c, int ldc, float alpha, float beta);
}

/// <summary>The register-blocked micro-kernels, one per instruction-set width: the only ISA-specific GEMM code.</summary>
public static unsafe partial class Gemm
{
    /// <summary>
    /// Vector512 (AVX-512, 32 zmm registers): a 12×32 tile in 24 accumulators, 2 loads of B and 12 broadcasts of A per
    /// k step; 24 independent FMA chains hide the 4-cycle FMA latency of two pipes. The B micro-panel (KC×32 floats, 64
    /// KB at KC=512) streams from L2: two vector loads per 24 FMAs need little of L2's bandwidth.
    /// </summary>
    internal readonly struct MicroKernel512_12x32 : IMicroKernel
    {
        public static int MR => 12;
        public static int NR => 32;

        [MethodImpl(Inlining.MicroKernel)]
        public static void Run(int kc, float* a, nint rsA, nint psA, float* b, int ldb, float* c, int ldc, float alpha, float beta)
        {
            var c0_0 = Vector512<float>.Zero; var c0_1 = Vector512<float>.Zero;
            var c1_0 = Vector512<float>.Zero; var c1_1 = Vector512<float>.Zero;
            var c2_0 = Vector512<float>.Zero; var c2_1 = Vector512<float>.Zero;
            var c3_0 = Vector512<float>.Zero; var c3_1 = Vector512<float>.Zero;
            var c4_0 = Vector512<float>.Zero; var c4_1 = Vector512<float>.Zero;
            var c5_0 = Vector512<float>.Zero; var c5_1 = Vector512<float>.Zero;
            var c6_0 = Vector512<float>.Zero; var c6_1 = Vector512<float>.Zero;
            var c7_0 = Vector512<float>.Zero; var c7_1 = Vector512<float>.Zero;
            var c8_0 = Vector512<float>.Zero; var c8_1 = Vector512<float>.Zero;
            var c9_0 = Vector512<float>.Zero; var c9_1 = Vector512<float>.Zero;
            var c10_0 = Vector512<float>.Zero; var c10_1 = Vector512<float>.Zero;
            var c11_0 = Vector512<float>.Zero; var c11_1 = Vector512<float>.Zero;
            if (Sse.IsSupported)
            {
                // Fetch the C tile now: its cache misses then overlap the k loop instead of stalling the final update.
                for (int r = 0; r < 12; r++)
                {
                    Sse.Prefetch0(c + r * ldc + 0);
                    Sse.Prefetch0(c + r * ldc + 16);
                }
            }
            float* row0 = a, row1 = row0 + rsA, row2 = row1 + rsA, row3 = row2 + rsA, row4 = row3 + rsA, row5 = row4 + rsA, row6 = row5 + rsA, row7 = row6 + rsA, row8 = row7 + rsA, row9 = row8 + rsA, row10 = row9 + rsA, row11 = row10 + rsA;
            nint q = 0;
            for (int p = 0; p < kc; p++)
            {
                var b0 = Vector512.Load(b + 0); var b1 = Vector512.Load(b + 16);
                var a0 = Vector512.Create(row0[q]); c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(a0, b1, c0_1);
                var a1 = Vector512.Create(row1[q]); c1_0 = Vector512.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(a1, b1, c1_1);
                var a2 = Vector512.Create(row2[q]); c2_0 = Vector512.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(a2, b1, c2_1);
                var a3 = Vector512.Create(row3[q]); c3_0 = Vector512.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(a3, b1, c3_1);
                var a4 = Vector512.Create(row4[q]); c4_0 = Vector512.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Vector512.FusedMultiplyAdd(a4, b1, c4_1);
                var a5 = Vector512.Create(row5[q]); c5_0 = Vector512.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Vector512.FusedMultiplyAdd(a5, b1, c5_1);
                var a6 = Vector512.Create(row6[q]); c6_0 = Vector512.FusedMultiplyAdd(a6, b0, c6_0); c6_1 = Vector512.FusedMultiplyAdd(a6, b1, c6_1);
                var a7 = Vector512.Create(row7[q]); c7_0 = Vector512.FusedMultiplyAdd(a7, b0, c7_0); c7_1 = Vector512.FusedMultiplyAdd(a7, b1, c7_1);
                var a8 = Vector512.Create(row8[q]); c8_0 = Vector512.FusedMultiplyAdd(a8, b0, c8_0); c8_1 = Vector512.FusedMultiplyAdd(a8, b1, c8_1);
                var a9 = Vector512.Create(row9[q]); c9_0 = Vector512.FusedMultiplyAdd(a9, b0, c9_0); c9_1 = Vector512.FusedMultiplyAdd(a9, b1, c9_1);
                var a10 = Vector512.Create(row10[q]); c10_0 = Vector512.FusedMultiplyAdd(a10, b0, c10_0); c10_1 = Vector512.FusedMultiplyAdd(a10, b1, c10_1);
                var a11 = Vector512.Create(row11[q]); c11_0 = Vector512.FusedMultiplyAdd(a11, b0, c11_0); c11_1 = Vector512.FusedMultiplyAdd(a11, b1, c11_1);
                q += psA;
                b += ldb;
            }
            var va = Vector512.Create(alpha);
            if (beta == 0)
            {
                (c0_0 * va).Store(c + 0 * ldc + 0); (c0_1 * va).Store(c + 0 * ldc + 16);
                (c1_0 * va).Store(c + 1 * ldc + 0); (c1_1 * va).Store(c + 1 * ldc + 16);
                (c2_0 * va).Store(c + 2 * ldc + 0); (c2_1 * va).Store(c + 2 * ldc + 16);
                (c3_0 * va).Store(c + 3 * ldc + 0); (c3_1 * va).Store(c + 3 * ldc + 16);
                (c4_0 * va).Store(c + 4 * ldc + 0); (c4_1 * va).Store(c + 4 * ldc + 16);
                (c5_0 * va).Store(c + 5 * ldc + 0); (c5_1 * va).Store(c + 5 * ldc + 16);
                (c6_0 * va).Store(c + 6 * ldc + 0); (c6_1 * va).Store(c + 6 * ldc + 16);
                (c7_0 * va).Store(c + 7 * ldc + 0); (c7_1 * va).Store(c + 7 * ldc + 16);
                (c8_0 * va).Store(c + 8 * ldc + 0); (c8_1 * va).Store(c + 8 * ldc + 16);
                (c9_0 * va).Store(c + 9 * ldc + 0); (c9_1 * va).Store(c + 9 * ldc + 16);
                (c10_0 * va).Store(c + 10 * ldc + 0); (c10_1 * va).Store(c + 10 * ldc + 16);
                (c11_0 * va).Store(c + 11 * ldc + 0); (c11_1 * va).Store(c + 11 * ldc + 16);
                return;
            }
            var vb = Vector512.Create(beta);
            Update(c + 0 * ldc + 0, c0_0 * va, vb); Update(c + 0 * ldc + 16, c0_1 * va, vb);
            Update(c + 1 * ldc + 0, c1_0 * va, vb); Update(c + 1 * ldc + 16, c1_1 * va, vb);
            Update(c + 2 * ldc + 0, c2_0 * va, vb); Update(c + 2 * ldc + 16, c2_1 * va, vb);
            Update(c + 3 * ldc + 0, c3_0 * va, vb); Update(c + 3 * ldc + 16, c3_1 * va, vb);
            Update(c + 4 * ldc + 0, c4_0 * va, vb); Update(c + 4 * ldc + 16, c4_1 * va, vb);
            Update(c + 5 * ldc + 0, c5_0 * va, vb); Update(c + 5 * ldc + 16, c5_1 * va, vb);
            Update(c + 6 * ldc + 0, c6_0 * va, vb); Update(c + 6 * ldc + 16, c6_1 * va, vb);
            Update(c + 7 * ldc + 0, c7_0 * va, vb); Update(c + 7 * ldc + 16, c7_1 * va, vb);
            Update(c + 8 * ldc + 0, c8_0 * va, vb); Update(c + 8 * ldc + 16, c8_1 * va, vb);
            Update(c + 9 * ldc + 0, c9_0 * va, vb); Update(c + 9 * ldc + 16, c9_1 * va, vb);
            Update(c + 10 * ldc + 0, c10_0 * va, vb); Update(c + 10 * ldc + 16, c10_1 * va, vb);
            Update(c + 11 * ldc + 0, c11_0 * va, vb); Update(c + 11 * ldc + 16, c11_1 * va, vb);
        }
    }

    /// <summary>
    /// Vector256 (AVX2, 16 ymm registers): the classic 6×16 tile (BLIS haswell), 12 accumulators + 2 B vectors + 1
    /// broadcast = 15 registers.
    /// </summary>
    internal readonly struct MicroKernel256_6x16 : IMicroKernel
    {
        public static int MR => 6;
        public static int NR => 16;

        [MethodImpl(Inlining.MicroKernel)]
        public static void Run(int kc, float* a, nint rsA, nint psA, float* b, int ldb, float* c, int ldc, float alpha, float beta)
        {
            var c0_0 = Vector256<float>.Zero; var c0_1 = Vector256<float>.Zero;
            var c1_0 = Vector256<float>.Zero; var c1_1 = Vector256<float>.Zero;
            var c2_0 = Vector256<float>.Zero; var c2_1 = Vector256<float>.Zero;
            var c3_0 = Vector256<float>.Zero; var c3_1 = Vector256<float>.Zero;
            var c4_0 = Vector256<float>.Zero; var c4_1 = Vector256<float>.Zero;
            var c5_0 = Vector256<float>.Zero; var c5_1 = Vector256<float>.Zero;
            if (Sse.IsSupported)
            {
                // Fetch the C tile now: its cache misses then overlap the k loop instead of stalling the final update.
                for (int r = 0; r < 6; r++)
                {
                    Sse.Prefetch0(c + r * ldc + 0);
                }
            }
            float* row0 = a, row1 = row0 + rsA, row2 = row1 + rsA, row3 = row2 + rsA, row4 = row3 + rsA, row5 = row4 + rsA;
            nint q = 0;
            for (int p = 0; p < kc; p++)
            {
                var b0 = Vector256.Load(b + 0); var b1 = Vector256.Load(b + 8);
                var a0 = Vector256.Create(row0[q]); c0_0 = Vector256.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector256.FusedMultiplyAdd(a0, b1, c0_1);
                var a1 = Vector256.Create(row1[q]); c1_0 = Vector256.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Vector256.FusedMultiplyAdd(a1, b1, c1_1);
                var a2 = Vector256.Create(row2[q]); c2_0 = Vector256.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Vector256.FusedMultiplyAdd(a2, b1, c2_1);
                var a3 = Vector256.Create(row3[q]); c3_0 = Vector256.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Vector256.FusedMultiplyAdd(a3, b1, c3_1);
                var a4 = Vector256.Create(row4[q]); c4_0 = Vector256.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Vector256.FusedMultiplyAdd(a4, b1, c4_1);
                var a5 = Vector256.Create(row5[q]); c5_0 = Vector256.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Vector256.FusedMultiplyAdd(a5, b1, c5_1);
                q += psA;
                b += ldb;
            }
            var va = Vector256.Create(alpha);
            if (beta == 0)
            {
                (c0_0 * va).Store(c + 0 * ldc + 0); (c0_1 * va).Store(c + 0 * ldc + 8);
                (c1_0 * va).Store(c + 1 * ldc + 0); (c1_1 * va).Store(c + 1 * ldc + 8);
                (c2_0 * va).Store(c + 2 * ldc + 0); (c2_1 * va).Store(c + 2 * ldc + 8);
                (c3_0 * va).Store(c + 3 * ldc + 0); (c3_1 * va).Store(c + 3 * ldc + 8);
                (c4_0 * va).Store(c + 4 * ldc + 0); (c4_1 * va).Store(c + 4 * ldc + 8);
                (c5_0 * va).Store(c + 5 * ldc + 0); (c5_1 * va).Store(c + 5 * ldc + 8);
                return;
            }
            var vb = Vector256.Create(beta);
            Update(c + 0 * ldc + 0, c0_0 * va, vb); Update(c + 0 * ldc + 8, c0_1 * va, vb);
            Update(c + 1 * ldc + 0, c1_0 * va, vb); Update(c + 1 * ldc + 8, c1_1 * va, vb);
            Update(c + 2 * ldc + 0, c2_0 * va, vb); Update(c + 2 * ldc + 8, c2_1 * va, vb);
            Update(c + 3 * ldc + 0, c3_0 * va, vb); Update(c + 3 * ldc + 8, c3_1 * va, vb);
            Update(c + 4 * ldc + 0, c4_0 * va, vb); Update(c + 4 * ldc + 8, c4_1 * va, vb);
            Update(c + 5 * ldc + 0, c5_0 * va, vb); Update(c + 5 * ldc + 8, c5_1 * va, vb);
        }
    }

    /// <summary>
    /// Vector128 (SSE/AdvSIMD, 16 or 32 registers): a 6×8 tile, 12 accumulators + 2 B vectors + 1 broadcast.
    /// </summary>
    internal readonly struct MicroKernel128_6x8 : IMicroKernel
    {
        public static int MR => 6;
        public static int NR => 8;

        [MethodImpl(Inlining.MicroKernel)]
        public static void Run(int kc, float* a, nint rsA, nint psA, float* b, int ldb, float* c, int ldc, float alpha, float beta)
        {
            var c0_0 = Vector128<float>.Zero; var c0_1 = Vector128<float>.Zero;
            var c1_0 = Vector128<float>.Zero; var c1_1 = Vector128<float>.Zero;
            var c2_0 = Vector128<float>.Zero; var c2_1 = Vector128<float>.Zero;
            var c3_0 = Vector128<float>.Zero; var c3_1 = Vector128<float>.Zero;
            var c4_0 = Vector128<float>.Zero; var c4_1 = Vector128<float>.Zero;
            var c5_0 = Vector128<float>.Zero; var c5_1 = Vector128<float>.Zero;
            if (Sse.IsSupported)
            {
                // Fetch the C tile now: its cache misses then overlap the k loop instead of stalling the final update.
                for (int r = 0; r < 6; r++)
                {
                    Sse.Prefetch0(c + r * ldc + 0);
                }
            }
            float* row0 = a, row1 = row0 + rsA, row2 = row1 + rsA, row3 = row2 + rsA, row4 = row3 + rsA, row5 = row4 + rsA;
            nint q = 0;
            for (int p = 0; p < kc; p++)
            {
                var b0 = Vector128.Load(b + 0); var b1 = Vector128.Load(b + 4);
                var a0 = Vector128.Create(row0[q]); c0_0 = Vector128.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector128.FusedMultiplyAdd(a0, b1, c0_1);
                var a1 = Vector128.Create(row1[q]); c1_0 = Vector128.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Vector128.FusedMultiplyAdd(a1, b1, c1_1);
                var a2 = Vector128.Create(row2[q]); c2_0 = Vector128.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Vector128.FusedMultiplyAdd(a2, b1, c2_1);
                var a3 = Vector128.Create(row3[q]); c3_0 = Vector128.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Vector128.FusedMultiplyAdd(a3, b1, c3_1);
                var a4 = Vector128.Create(row4[q]); c4_0 = Vector128.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Vector128.FusedMultiplyAdd(a4, b1, c4_1);
                var a5 = Vector128.Create(row5[q]); c5_0 = Vector128.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Vector128.FusedMultiplyAdd(a5, b1, c5_1);
                q += psA;
                b += ldb;
            }
            var va = Vector128.Create(alpha);
            if (beta == 0)
            {
                (c0_0 * va).Store(c + 0 * ldc + 0); (c0_1 * va).Store(c + 0 * ldc + 4);
                (c1_0 * va).Store(c + 1 * ldc + 0); (c1_1 * va).Store(c + 1 * ldc + 4);
                (c2_0 * va).Store(c + 2 * ldc + 0); (c2_1 * va).Store(c + 2 * ldc + 4);
                (c3_0 * va).Store(c + 3 * ldc + 0); (c3_1 * va).Store(c + 3 * ldc + 4);
                (c4_0 * va).Store(c + 4 * ldc + 0); (c4_1 * va).Store(c + 4 * ldc + 4);
                (c5_0 * va).Store(c + 5 * ldc + 0); (c5_1 * va).Store(c + 5 * ldc + 4);
                return;
            }
            var vb = Vector128.Create(beta);
            Update(c + 0 * ldc + 0, c0_0 * va, vb); Update(c + 0 * ldc + 4, c0_1 * va, vb);
            Update(c + 1 * ldc + 0, c1_0 * va, vb); Update(c + 1 * ldc + 4, c1_1 * va, vb);
            Update(c + 2 * ldc + 0, c2_0 * va, vb); Update(c + 2 * ldc + 4, c2_1 * va, vb);
            Update(c + 3 * ldc + 0, c3_0 * va, vb); Update(c + 3 * ldc + 4, c3_1 * va, vb);
            Update(c + 4 * ldc + 0, c4_0 * va, vb); Update(c + 4 * ldc + 4, c4_1 * va, vb);
            Update(c + 5 * ldc + 0, c5_0 * va, vb); Update(c + 5 * ldc + 4, c5_1 * va, vb);
        }
    }

    /// <summary>
    /// Scalar fallback: a 4×4 tile of float accumulators, fused multiply-adds in the same order as the vector kernels.
    /// </summary>
    internal readonly struct MicroKernelScalar_4x4 : IMicroKernel
    {
        public static int MR => 4;
        public static int NR => 4;

        [MethodImpl(Inlining.MicroKernel)]
        public static void Run(int kc, float* a, nint rsA, nint psA, float* b, int ldb, float* c, int ldc, float alpha, float beta)
        {
            float c0_0 = 0f; float c0_1 = 0f; float c0_2 = 0f; float c0_3 = 0f;
            float c1_0 = 0f; float c1_1 = 0f; float c1_2 = 0f; float c1_3 = 0f;
            float c2_0 = 0f; float c2_1 = 0f; float c2_2 = 0f; float c2_3 = 0f;
            float c3_0 = 0f; float c3_1 = 0f; float c3_2 = 0f; float c3_3 = 0f;
            float* row0 = a, row1 = row0 + rsA, row2 = row1 + rsA, row3 = row2 + rsA;
            nint q = 0;
            for (int p = 0; p < kc; p++)
            {
                float b0 = b[0]; float b1 = b[1]; float b2 = b[2]; float b3 = b[3];
                float a0 = row0[q]; c0_0 = MathF.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = MathF.FusedMultiplyAdd(a0, b1, c0_1); c0_2 = MathF.FusedMultiplyAdd(a0, b2, c0_2); c0_3 = MathF.FusedMultiplyAdd(a0, b3, c0_3);
                float a1 = row1[q]; c1_0 = MathF.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = MathF.FusedMultiplyAdd(a1, b1, c1_1); c1_2 = MathF.FusedMultiplyAdd(a1, b2, c1_2); c1_3 = MathF.FusedMultiplyAdd(a1, b3, c1_3);
                float a2 = row2[q]; c2_0 = MathF.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = MathF.FusedMultiplyAdd(a2, b1, c2_1); c2_2 = MathF.FusedMultiplyAdd(a2, b2, c2_2); c2_3 = MathF.FusedMultiplyAdd(a2, b3, c2_3);
                float a3 = row3[q]; c3_0 = MathF.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = MathF.FusedMultiplyAdd(a3, b1, c3_1); c3_2 = MathF.FusedMultiplyAdd(a3, b2, c3_2); c3_3 = MathF.FusedMultiplyAdd(a3, b3, c3_3);
                q += psA;
                b += ldb;
            }
            if (beta == 0)
            {
                c[0] = c0_0 * alpha; c[1] = c0_1 * alpha; c[2] = c0_2 * alpha; c[3] = c0_3 * alpha;
                c[ldc + 0] = c1_0 * alpha; c[ldc + 1] = c1_1 * alpha; c[ldc + 2] = c1_2 * alpha; c[ldc + 3] = c1_3 * alpha;
                c[2 * ldc + 0] = c2_0 * alpha; c[2 * ldc + 1] = c2_1 * alpha; c[2 * ldc + 2] = c2_2 * alpha; c[2 * ldc + 3] = c2_3 * alpha;
                c[3 * ldc + 0] = c3_0 * alpha; c[3 * ldc + 1] = c3_1 * alpha; c[3 * ldc + 2] = c3_2 * alpha; c[3 * ldc + 3] = c3_3 * alpha;
                return;
            }
            Update(c + 0, c0_0 * alpha, beta); Update(c + 1, c0_1 * alpha, beta); Update(c + 2, c0_2 * alpha, beta); Update(c + 3, c0_3 * alpha, beta);
            Update(c + ldc + 0, c1_0 * alpha, beta); Update(c + ldc + 1, c1_1 * alpha, beta); Update(c + ldc + 2, c1_2 * alpha, beta); Update(c + ldc + 3, c1_3 * alpha, beta);
            Update(c + 2 * ldc + 0, c2_0 * alpha, beta); Update(c + 2 * ldc + 1, c2_1 * alpha, beta); Update(c + 2 * ldc + 2, c2_2 * alpha, beta); Update(c + 2 * ldc + 3, c2_3 * alpha, beta);
            Update(c + 3 * ldc + 0, c3_0 * alpha, beta); Update(c + 3 * ldc + 1, c3_1 * alpha, beta); Update(c + 3 * ldc + 2, c3_2 * alpha, beta); Update(c + 3 * ldc + 3, c3_3 * alpha, beta);
        }
    }

    /// <summary>C = beta·C + alpha·acc for one full vector (alpha·acc rounded first, then one fused multiply-add), as
    /// <see cref="StoreTile"/> does per element.</summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void Update(float* c, Vector512<float> scaled, Vector512<float> beta) =>
        Vector512.FusedMultiplyAdd(Vector512.Load(c), beta, scaled).Store(c);

    /// <inheritdoc cref="Update(float*, Vector512{float}, Vector512{float})"/>
    [MethodImpl(Inlining.ShortMethod)]
    private static void Update(float* c, Vector256<float> scaled, Vector256<float> beta) =>
        Vector256.FusedMultiplyAdd(Vector256.Load(c), beta, scaled).Store(c);

    /// <inheritdoc cref="Update(float*, Vector512{float}, Vector512{float})"/>
    [MethodImpl(Inlining.ShortMethod)]
    private static void Update(float* c, Vector128<float> scaled, Vector128<float> beta) =>
        Vector128.FusedMultiplyAdd(Vector128.Load(c), beta, scaled).Store(c);

    /// <inheritdoc cref="Update(float*, Vector512{float}, Vector512{float})"/>
    [MethodImpl(Inlining.ShortMethod)]
    private static void Update(float* c, float scaled, float beta) => *c = MathF.FusedMultiplyAdd(*c, beta, scaled);

    /// <summary>
    /// Runs an edge tile, of which only the top-left m ≤ MR rows and n ≤ NR columns lie in C: the kernel writes its
    /// whole tile to the stack with alpha 1 and beta 0 (the accumulators exactly), and <see cref="StoreTile"/> writes
    /// the valid corner with the full tile's roundings. The panels it reads are zero-padded past m and n.
    /// </summary>
    [MethodImpl(Inlining.ColdPath)]
    private static void RunEdge<TKernel>(int kc, float* a, nint rsA, nint psA, float* b, int ldb, float* c, int ldc, int m, int n,
        float alpha, float beta) where TKernel : struct, IMicroKernel
    {
        float* t = stackalloc float[TKernel.MR * TKernel.NR];
        TKernel.Run(kc, a, rsA, psA, b, ldb, t, TKernel.NR, 1f, 0f);
        StoreTile(t, TKernel.NR, c, ldc, m, n, alpha, beta);
    }

    /// <summary>
    /// Writes the valid m×n corner of a staged tile t[MR][ldt] to C: alpha·t when beta is 0 (C not read), else
    /// beta·C + alpha·t with the same roundings as the vector <c>Update</c>, lane for lane, so edge and full tiles
    /// agree bit for bit.
    /// </summary>
    [MethodImpl(Inlining.ColdPath)]
    private static void StoreTile(float* t, int ldt, float* c, int ldc, int m, int n, float alpha, float beta)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float v = t[i * ldt + j] * alpha;
                c[i * ldc + j] = beta == 0 ? v : MathF.FusedMultiplyAdd(c[i * ldc + j], beta, v);
            }
        }
    }
}
