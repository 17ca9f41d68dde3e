using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace NanoFed.Kernels;

public static unsafe partial class Conv2d
{
    /// <summary>
    /// Whether backward-weight runs pixel-major (<see cref="WeightPixelMajor"/>): at least 8 input channels and 32 to
    /// 192 filters (dW's K rows then span at most 16 micro-kernel row panels, so the GEMM reads the patches in place,
    /// unpacked), any stride or padding. Measured against the direct 3×3 kernel or im2col + GEMM (one thread, CPU
    /// time, busy machine): 64@8 3.8 against 8.0 ms, 16→32@32 stride 2 3.3 against 7.2, 32→64@16 stride 2 2.6
    /// against 4.6, 64→128@16 24 against 33, 32@16 and 128→256@8 level; slower with 16 filters (half-empty tiles)
    /// or 3 input channels.
    /// </summary>
    internal static bool UsePixelMajorWeight(in Conv2dGeometry g) => g.C >= 8 && g.K >= 32 && g.K <= 192 && !g.IsPointwise;

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
    /// GEMM's depth is the output pixels of all the group's images (long even on 8×8 planes), its B operand is col
    /// read in place (row-major, no packing, see Gemm's ReadBInPlace), and the tiles are full whatever the stride.
    /// Each col row is R copies of S·C contiguous floats from the image held zero-bordered and pixel-major (xt:
    /// (H+2·PadH)·(W+2·PadW) × C), so the unfold needs no bounds checks either.
    /// </summary>
    private static void WeightPixelMajor(float* x, float* dY, int first, int count, float* dWp, bool overwrite, float* scratch, in Conv2dGeometry g)
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
        Gemm.Sgemm(Transpose.No, Transpose.No, K, rsc, cols, 1, new ReadOnlySpan<float>(dyg, K * cols), cols,
            new ReadOnlySpan<float>(col, cols * rsc), rsc, overwrite ? 0 : 1, new Span<float>(dWp, K * rsc), rsc);
    }

    /// <summary>
    /// Overwrites xt ((H+2·PadH)·(W+2·PadW) × C) with one image x (C, H, W) moved pixel-major inside a zero border:
    /// xt[(h + PadH)·(W+2·PadW) + w + PadW, c] = x[c, h, w]. Blocks of 4 channels × 4 pixels are transposed in
    /// SSE registers; the edges are copied one float at a time.
    /// </summary>
    internal static void PadTransposeImage(float* x, float* xt, in Conv2dGeometry g)
    {
        int C = g.C, H = g.H, W = g.W, wp = W + 2 * g.PadW;
        new Span<float>(xt, PaddedPlane(g) * C).Clear();
        int c4 = Sse.IsSupported ? C / 4 * 4 : 0, w4 = W / 4 * 4;
        for (int h = 0; h < H; h++)
        {
            float* dstRow = xt + ((long)(h + g.PadH) * wp + g.PadW) * C;
            for (int c = 0; c < c4; c += 4)
            {
                float* s0 = x + ((long)c * H + h) * W, s1 = s0 + H * W, s2 = s1 + H * W, s3 = s2 + H * W;
                for (int w = 0; w < w4; w += 4) Transpose4x4(s0 + w, s1 + w, s2 + w, s3 + w, dstRow + (long)w * C + c, C);
                for (int w = w4; w < W; w++)
                {
                    float* d = dstRow + (long)w * C + c;
                    d[0] = s0[w]; d[1] = s1[w]; d[2] = s2[w]; d[3] = s3[w];
                }
            }
            for (int c = c4; c < C; c++)
            {
                float* s = x + ((long)c * H + h) * W;
                for (int w = 0; w < W; w++) dstRow[(long)w * C + c] = s[w];
            }
        }
    }

    /// <summary>d[j·ld + i] = s_i[j] for four source rows s_0..s_3 of 4 floats: a 4×4 transpose in SSE registers.</summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void Transpose4x4(float* s0, float* s1, float* s2, float* s3, float* d, int ld)
    {
        var r0 = Sse.LoadVector128(s0);
        var r1 = Sse.LoadVector128(s1);
        var r2 = Sse.LoadVector128(s2);
        var r3 = Sse.LoadVector128(s3);
        var t0 = Sse.UnpackLow(r0, r1);
        var t1 = Sse.UnpackHigh(r0, r1);
        var t2 = Sse.UnpackLow(r2, r3);
        var t3 = Sse.UnpackHigh(r2, r3);
        Sse.Store(d, Sse.MoveLowToHigh(t0, t2));
        Sse.Store(d + ld, Sse.MoveHighToLow(t2, t0));
        Sse.Store(d + 2 * ld, Sse.MoveLowToHigh(t1, t3));
        Sse.Store(d + 3 * ld, Sse.MoveHighToLow(t3, t1));
    }
}
