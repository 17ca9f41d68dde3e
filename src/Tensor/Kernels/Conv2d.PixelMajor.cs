using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace NanoFed.Kernels;

public static unsafe partial class Conv2d
{
    /// <summary>
    /// Whether backward-weight runs pixel-major (<see cref="WeightPixelMajor"/>): at least 8 input channels and 32
    /// filters, any stride or padding, except 32 or fewer filters where the direct 3×3 kernel runs: with 32 filters the
    /// 12-row GEMM tiles leave 4 of 36 rows empty, and the direct kernel wins there (docs/performance.md, "The measurements behind the kernels' choices").
    /// </summary>
    internal static bool UsePixelMajorWeight(in Conv2dGeometry g) =>
        g.C >= 8 && g.K >= 32 && !g.IsPointwise && !(g.K <= 32 && UseDirectWeight3x3(g));

    /// <summary>
    /// Whether the pixel-major GEMM computes dWᵀ (R·S·C × K, the patches packed as A) instead of reading them in place:
    /// when K fills whole 32-column tiles and R·S·C does not; where R·S·C is a multiple of 32, reading in place wins
    /// (docs/performance.md, "The measurements behind the kernels' choices").
    /// </summary>
    internal static bool PixelMajorTransposed(in Conv2dGeometry g) => g.K % 32 == 0 && g.Crs % 32 != 0;

    /// <summary>
    /// Scratch floats of <see cref="WeightPixelMajor"/> for a group of <paramref name="count"/> images: one
    /// zero-bordered pixel-major image, the pixel-major patches (count·P·Q × R·S·C) and the gathered dY (K × count·P·Q).
    /// </summary>
    private static int PixelMajorScratchLength(in Conv2dGeometry g, int count)
    {
        int cols = count * g.P * g.Q;
        return PaddedPlane(g) * g.C + cols * g.Crs + (count == 1 ? 0 : g.K * cols);
    }

    private static int PaddedPlane(in Conv2dGeometry g) => (g.H + 2 * g.PadH) * (g.W + 2 * g.PadW);

    /// <summary>
    /// dWp (K × R·S·C, columns in (r, s, c) order) gets (when <paramref name="overwrite"/>) or accumulates
    /// dY_g · col over the images [first, first + count), where dY_g is K × count·P·Q and col holds the patches
    /// pixel-major: row (i, p, q), column (r, s, c) is x_i[c, p·StrideH − PadH + r, q·StrideW − PadW + s]. So the
    /// GEMM's depth is the output pixels of all the group's images (long even on 8×8 planes), its B operand is col,
    /// row-major (read in place up to 192 filters, see Gemm's ReadBInPlace, else packed by plain row copies).
    /// Each col row is R copies of S·C contiguous floats from the image held zero-bordered and pixel-major (xt:
    /// (H+2·PadH)·(W+2·PadW) × C), so the unfold needs no bounds checks either. When <paramref name="transposed"/>,
    /// dWp holds the transpose, colᵀ · dY_gᵀ (R·S·C × K; see <see cref="PixelMajorTransposed"/>).
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void WeightPixelMajor(float* x, float* dY, int first, int count, float* dWp, bool overwrite, bool transposed, float* scratch, in Conv2dGeometry g)
    {
        int K = g.K, C = g.C, rsc = g.Crs, pq = g.P * g.Q, cols = count * pq, chw = C * g.H * g.W;
        int wp = g.W + 2 * g.PadW, sc = g.S * C;
        float* xt = scratch, col = xt + (long)PaddedPlane(g) * C, dyg = col + (long)cols * rsc;
        for (int i = 0; i < count; i++)
        {
            PadTransposeImage(x + (long)(first + i) * chw, xt, g);
            float* row = col + (long)i * pq * rsc;
            for (int p = 0; p < g.P; p++)
                for (int q = 0; q < g.Q; q++, row += rsc)
                {
                    float* src = xt + ((long)p * g.StrideH * wp + q * g.StrideW) * C;
                    for (int r = 0; r < g.R; r++) CopyShort(src + (long)r * wp * C, row + r * sc, sc);
                }
        }
        if (count == 1) dyg = dY + (long)first * K * pq;
        else GatherGroup(dY, first, count, dyg, g);
        var dySpan = new ReadOnlySpan<float>(dyg, K * cols);
        var colSpan = new ReadOnlySpan<float>(col, cols * rsc);
        float beta = overwrite ? 0 : 1;
        if (transposed) Gemm.Sgemm(Transpose.Yes, Transpose.Yes, rsc, K, cols, 1, colSpan, rsc, dySpan, cols, beta, new Span<float>(dWp, K * rsc), K);
        else Gemm.Sgemm(Transpose.No, Transpose.No, K, rsc, cols, 1, dySpan, cols, colSpan, rsc, beta, new Span<float>(dWp, K * rsc), rsc);
    }

    /// <summary>
    /// Overwrites xt ((H+2·PadH)·(W+2·PadW) × C) with one image x (C, H, W) moved pixel-major inside a zero border:
    /// xt[(h + PadH)·(W+2·PadW) + w + PadW, c] = x[c, h, w]. Blocks of 8 channels × 8 pixels are transposed in AVX
    /// registers (twice as fast as 4×4 SSE blocks: docs/performance.md, "The measurements behind the kernels' choices");
    /// the channels and pixels past the last whole block are copied one float at a time. Optimized at once: left to
    /// tiering it stayed in on-stack-replacement code and ran at the one-float-at-a-time speed.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    internal static void PadTransposeImage(float* x, float* xt, in Conv2dGeometry g) =>
        PadTranspose(x, xt, g.C, g.H, g.W, g.H + 2 * g.PadH, g.W + 2 * g.PadW, g.PadH, g.PadW);

    /// <summary>
    /// Overwrites xt (hp·wp × C) with x (C, H, W) moved pixel-major at row and column offset padH, padW, zeros
    /// elsewhere (with no border, a plain transpose: C × H·W to H·W × C), as <see cref="PadTransposeImage"/> (which it serves) describes.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void PadTranspose(float* x, float* xt, int C, int H, int W, int hp, int wp, int padH, int padW)
    {
        int hw = H * W;
        if (hp * wp != hw) new Span<float>(xt, hp * wp * C).Clear();
        int c8 = Avx.IsSupported ? C / 8 * 8 : 0, w8 = Avx.IsSupported ? W / 8 * 8 : 0;
        for (int h = 0; h < H; h++)
        {
            float* dstRow = xt + ((long)(h + padH) * wp + padW) * C;
            for (int c = 0; c < c8; c += 8)
            {
                float* src = x + (long)c * hw + (long)h * W;
                for (int w = 0; w < w8; w += 8) Transpose8x8(src + w, hw, dstRow + (long)w * C + c, C);
            }
            for (int c = 0; c < C; c++)
            {
                float* src = x + (long)c * hw + (long)h * W;
                for (int w = c < c8 ? w8 : 0; w < W; w++) dstRow[(long)w * C + c] = src[w];
            }
        }
    }

    /// <summary>d[j·ld + i] = s[i·ls + j] for i, j &lt; 8: an 8×8 transpose in AVX registers (unpack, shuffle, lane permute).</summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void Transpose8x8(float* s, int ls, float* d, int ld)
    {
        var r0 = Avx.LoadVector256(s);
        var r1 = Avx.LoadVector256(s + ls);
        var r2 = Avx.LoadVector256(s + 2 * ls);
        var r3 = Avx.LoadVector256(s + 3 * ls);
        var r4 = Avx.LoadVector256(s + 4 * ls);
        var r5 = Avx.LoadVector256(s + 5 * ls);
        var r6 = Avx.LoadVector256(s + 6 * ls);
        var r7 = Avx.LoadVector256(s + 7 * ls);
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + ld, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 2 * ld, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + 3 * ld, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 4 * ld, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + 5 * ld, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 6 * ld, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + 7 * ld, Avx.Permute2x128(u3, u7, 0x31));
    }
}
