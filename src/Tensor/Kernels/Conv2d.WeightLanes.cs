using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NanoFed.Kernels;

public static unsafe partial class Conv2d
{
    /// <summary>
    /// Whether backward-weight runs with images in the vector lanes (<see cref="WeightLanes"/>): a 3×3, stride-1,
    /// pad-1 convolution on a plane of whole vectors up to 16×16, at most 64 input channels and filters, a batch of
    /// at least 32, on AVX-512. Measured (one thread, batch 128, median of 7) against what ran before: ResNet-20's
    /// 32@16 2.80 against 3.00 ms (direct) and 64@8 2.63 against 3.08 (pixel-major); VGG11's 64→128@16, 128→256@8
    /// and 256@8 within 3% of pixel-major either way (so not there); slower on 32×32 planes (16@32 3.2 against 2.95,
    /// 3→16@32 0.9 against 0.73), where a group's transposed x and dY (2 MB) leave L2.
    /// </summary>
    internal static bool UseWeightLanes(in Conv2dGeometry g) =>
        Avx512F.IsSupported && Vector512.IsHardwareAccelerated
        && g.R == 3 && g.S == 3 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 1 && g.PadW == 1
        && g.H * g.W % LaneImages == 0 && g.H * g.W <= 256
        && g.N >= 32 && g.C <= 64 && g.K <= 64;

    /// <summary>Scratch floats of <see cref="WeightLanes"/>: the group's bordered x, then its dY (planes a cache line apart).</summary>
    private static int WeightLanesScratch(in Conv2dGeometry g) =>
        (g.C * (g.H + 2) * (g.W + 2) + (g.K + WeightKB - 1) / WeightKB * WeightKB * (g.H * g.W + 1)) * LaneImages;

    /// <summary>
    /// dW (K, C, 3, 3) gets (when <paramref name="overwrite"/>) or accumulates the filter gradient of images
    /// [0, <paramref name="count"/>) (at most 16) of x and dY, with the images in the vector lanes: x goes to
    /// xt (C, H+2, W+2, 16) with a zero border and dY to dyt (K, H·W, 16) (<see cref="LanesIn"/>,
    /// <see cref="LanesPlain"/>), and each lane sums Σ_{p,q} dy[k, p, q] · x[c, p + r − 1, q + s − 1] of its image over
    /// every position in order, 2 filters × the 9 taps of one c per kernel call, without a wasted lane; the
    /// 16 lanes are then added by the fixed tree of <see cref="LaneSum"/>. The result never depends on the thread count.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void WeightLanes(float* x, float* dY, int count, float* dW, in Conv2dGeometry g, bool overwrite, float* scratch)
    {
        int C = g.C, K = g.K, H = g.H, W = g.W, hw = H * W, wp = W + 2, plane = (H + 2) * wp * LaneImages;
        int kPad = (K + WeightKB - 1) / WeightKB * WeightKB, dyPlane = (hw + 1) * LaneImages;
        float* xt = scratch, dyt = xt + (long)C * plane;
        LanesIn(x, count, xt, g);
        LanesPlain(dY, count, K, hw, dyt, dyPlane);
        if (kPad > K) new Span<float>(dyt + (long)K * dyPlane, (kPad - K) * dyPlane).Clear();
        for (int kb = 0; kb < kPad; kb += 2)
            for (int c = 0; c < C; c++)
                WeightLanesKernel(dyt + (long)kb * dyPlane, dyPlane, xt + (long)c * plane, H, W, dW, kb, K, c, C, overwrite);
    }

    /// <summary>
    /// 2 filters × all 9 taps of one input channel c over every position of a group in the lanes layout: 18
    /// accumulators, 3 new x loads (one per row r; the window slides by one position) and 2 dY loads per 18 FMAs. The
    /// two filters' dY planes (32 KB at 16×16) stay in L1 across the C calls that use them, where 8 filters × 3 taps
    /// re-read 8 planes (128 KB) from L2 for every (c, r): 32@16 2.79 -> 2.60-2.71 ms, 64@8 (whose 8 planes fit L1)
    /// unchanged at 2.62 (one thread, batch 128). Each output still sums its positions in order, so the bits are the same.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void WeightLanesKernel(float* dy, int dyPlane, float* xc, int h, int w, float* dW, int kb, int K, int c, int C,
        bool overwrite)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default, a05 = default;
        Vector512<float> a06 = default, a07 = default, a08 = default, a10 = default, a11 = default, a12 = default;
        Vector512<float> a13 = default, a14 = default, a15 = default, a16 = default, a17 = default, a18 = default;
        int wp = w + 2, row = wp * LaneImages;
        float* dy1 = dy + dyPlane;
        long j = 0;
        for (int p = 0; p < h; p++)
        {
            float* x0 = xc + (long)p * row, x1 = x0 + row, x2 = x1 + row;
            var u0 = Vector512.Load(x0); var u1 = Vector512.Load(x0 + LaneImages);
            var v0 = Vector512.Load(x1); var v1 = Vector512.Load(x1 + LaneImages);
            var t0 = Vector512.Load(x2); var t1 = Vector512.Load(x2 + LaneImages);
            for (int q = 0; q < w; q++, j += LaneImages)
            {
                int at = (q + 2) * LaneImages;
                var u2 = Vector512.Load(x0 + at);
                var v2 = Vector512.Load(x1 + at);
                var t2 = Vector512.Load(x2 + at);
                var d = Vector512.Load(dy + j);
                a00 = Vector512.FusedMultiplyAdd(d, u0, a00); a01 = Vector512.FusedMultiplyAdd(d, u1, a01); a02 = Vector512.FusedMultiplyAdd(d, u2, a02);
                a03 = Vector512.FusedMultiplyAdd(d, v0, a03); a04 = Vector512.FusedMultiplyAdd(d, v1, a04); a05 = Vector512.FusedMultiplyAdd(d, v2, a05);
                a06 = Vector512.FusedMultiplyAdd(d, t0, a06); a07 = Vector512.FusedMultiplyAdd(d, t1, a07); a08 = Vector512.FusedMultiplyAdd(d, t2, a08);
                d = Vector512.Load(dy1 + j);
                a10 = Vector512.FusedMultiplyAdd(d, u0, a10); a11 = Vector512.FusedMultiplyAdd(d, u1, a11); a12 = Vector512.FusedMultiplyAdd(d, u2, a12);
                a13 = Vector512.FusedMultiplyAdd(d, v0, a13); a14 = Vector512.FusedMultiplyAdd(d, v1, a14); a15 = Vector512.FusedMultiplyAdd(d, v2, a15);
                a16 = Vector512.FusedMultiplyAdd(d, t0, a16); a17 = Vector512.FusedMultiplyAdd(d, t1, a17); a18 = Vector512.FusedMultiplyAdd(d, t2, a18);
                u0 = u1; u1 = u2;
                v0 = v1; v1 = v2;
                t0 = t1; t1 = t2;
            }
        }
        Store(dW, kb, K, c, 0, C, overwrite, a00, a01, a02);
        Store(dW, kb, K, c, 1, C, overwrite, a03, a04, a05);
        Store(dW, kb, K, c, 2, C, overwrite, a06, a07, a08);
        Store(dW, kb + 1, K, c, 0, C, overwrite, a10, a11, a12);
        Store(dW, kb + 1, K, c, 1, C, overwrite, a13, a14, a15);
        Store(dW, kb + 1, K, c, 2, C, overwrite, a16, a17, a18);
    }
}
