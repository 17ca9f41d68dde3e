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
    /// every position in order, 8 filters × the 3 taps s of one (c, r) per kernel call, without a wasted lane; the
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
        for (int kb = 0; kb < kPad; kb += WeightKB)
            for (int c = 0; c < C; c++)
                for (int r = 0; r < 3; r++)
                    WeightLanesKernel(dyt + (long)kb * dyPlane, dyPlane, xt + (long)c * plane + r * wp * LaneImages, H, W,
                        dW, kb, K, c, r, C, overwrite);
    }

    /// <summary>
    /// 8 filters × the 3 taps s of one (c, r) over every position of a group in the lanes layout: 24 accumulators,
    /// one new x load (the window slides by one position) and 8 dY loads per 24 FMAs.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void WeightLanesKernel(float* dy, int dyPlane, float* xr, int h, int w, float* dW, int kb, int K, int c, int r, int C,
        bool overwrite)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
        Vector512<float> a40 = default, a41 = default, a42 = default, a50 = default, a51 = default, a52 = default;
        Vector512<float> a60 = default, a61 = default, a62 = default, a70 = default, a71 = default, a72 = default;
        int wp = w + 2;
        float* d4 = dy + 4 * dyPlane;
        for (int p = 0; p < h; p++)
        {
            float* xs = xr + (long)p * wp * LaneImages;
            long j = (long)p * w * LaneImages;
            var x0 = Vector512.Load(xs);
            var x1 = Vector512.Load(xs + LaneImages);
            for (int q = 0; q < w; q++, j += LaneImages)
            {
                var x2 = Vector512.Load(xs + (q + 2) * LaneImages);
                var d = Vector512.Load(dy + j);
                a00 = Vector512.FusedMultiplyAdd(d, x0, a00); a01 = Vector512.FusedMultiplyAdd(d, x1, a01); a02 = Vector512.FusedMultiplyAdd(d, x2, a02);
                d = Vector512.Load(dy + dyPlane + j);
                a10 = Vector512.FusedMultiplyAdd(d, x0, a10); a11 = Vector512.FusedMultiplyAdd(d, x1, a11); a12 = Vector512.FusedMultiplyAdd(d, x2, a12);
                d = Vector512.Load(dy + 2 * dyPlane + j);
                a20 = Vector512.FusedMultiplyAdd(d, x0, a20); a21 = Vector512.FusedMultiplyAdd(d, x1, a21); a22 = Vector512.FusedMultiplyAdd(d, x2, a22);
                d = Vector512.Load(dy + 3 * dyPlane + j);
                a30 = Vector512.FusedMultiplyAdd(d, x0, a30); a31 = Vector512.FusedMultiplyAdd(d, x1, a31); a32 = Vector512.FusedMultiplyAdd(d, x2, a32);
                d = Vector512.Load(d4 + j);
                a40 = Vector512.FusedMultiplyAdd(d, x0, a40); a41 = Vector512.FusedMultiplyAdd(d, x1, a41); a42 = Vector512.FusedMultiplyAdd(d, x2, a42);
                d = Vector512.Load(d4 + dyPlane + j);
                a50 = Vector512.FusedMultiplyAdd(d, x0, a50); a51 = Vector512.FusedMultiplyAdd(d, x1, a51); a52 = Vector512.FusedMultiplyAdd(d, x2, a52);
                d = Vector512.Load(d4 + 2 * dyPlane + j);
                a60 = Vector512.FusedMultiplyAdd(d, x0, a60); a61 = Vector512.FusedMultiplyAdd(d, x1, a61); a62 = Vector512.FusedMultiplyAdd(d, x2, a62);
                d = Vector512.Load(d4 + 3 * dyPlane + j);
                a70 = Vector512.FusedMultiplyAdd(d, x0, a70); a71 = Vector512.FusedMultiplyAdd(d, x1, a71); a72 = Vector512.FusedMultiplyAdd(d, x2, a72);
                x0 = x1;
                x1 = x2;
            }
        }
        Store(dW, kb, K, c, r, C, overwrite, a00, a01, a02);
        Store(dW, kb + 1, K, c, r, C, overwrite, a10, a11, a12);
        Store(dW, kb + 2, K, c, r, C, overwrite, a20, a21, a22);
        Store(dW, kb + 3, K, c, r, C, overwrite, a30, a31, a32);
        Store(dW, kb + 4, K, c, r, C, overwrite, a40, a41, a42);
        Store(dW, kb + 5, K, c, r, C, overwrite, a50, a51, a52);
        Store(dW, kb + 6, K, c, r, C, overwrite, a60, a61, a62);
        Store(dW, kb + 7, K, c, r, C, overwrite, a70, a71, a72);
    }
}
