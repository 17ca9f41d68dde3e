using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NanoFed.Kernels;

public static unsafe partial class Conv2d
{
    /// <summary>Output channels per direct backward-weight micro-kernel call.</summary>
    private const int WeightKB = 8;

    /// <summary>
    /// Flat positions (images × padded plane) the direct backward-weight kernel sums before its lane sums: 8 channels
    /// of dY over 1152 positions are 36 KB, which stay in the 48 KB L1 beside the x rows. Measured (one thread, CPU
    /// time): 32@16 4.0 ms with 4 images against 4.7 with 1 and 5.1 with 8; 16@32 (1088 positions an image) 3.9 with
    /// 1 against 4.9 with 4; 64→16@8 1.2 with 8 and 1.3 with 4 against 2.1 with 1.
    /// </summary>
    private const int WeightBlockPositions = 1152;

    /// <summary>Images per direct backward-weight kernel call (at least one; see <see cref="WeightBlockPositions"/>).</summary>
    private static int WeightImages(in Conv2dGeometry g) => Math.Max(1, WeightBlockPositions / WeightRowLength(g));

    /// <summary>Flat positions of one image's padded dY rows: P·(Q+1), rounded up to whole vectors.</summary>
    private static int WeightRowLength(in Conv2dGeometry g) => (g.P * (g.Q + 1) + 15) / 16 * 16;

    /// <summary>
    /// Whether backward-weight runs the direct 3×3 kernel: the shapes of <see cref="UseDirect3x3"/> and
    /// <see cref="UseDirectStride2"/> with at most 64 input channels (so on Vector512 or Vector256: its per-output dot
    /// products use 16 lanes, on Vector256 as two halves, and one fixed lane-sum tree); on Vector256 not the stride-2
    /// shapes, where pixel-major measured faster on AVX2. Measured against im2col + GEMM (one thread, CPU time): 3.1× on 16@32, 2.1× on 32@16, 1.14× on 64@8,
    /// 1.2× on 64→128@16, and 0.95× on 128→128@16 (so not there); with 3 input channels (the first layers, batch 128,
    /// median of 7) 0.74 against 2.26 ms for 3→16@32 and 4.6 against 6.6 ms for 3→64@32. Shapes with 8+ input
    /// channels and more than 32 filters run pixel-major instead (<see cref="UsePixelMajorWeight"/> is checked
    /// first), so here it serves ResNet's 16@32, 32@16 and 16→32 stride-2 layers (2.25-2.6 against 3.0 ms pixel-major,
    /// one thread) and both networks' first layers.
    /// </summary>
    private static bool UseDirectWeight3x3(in Conv2dGeometry g) =>
        (UseDirect3x3(g) || UseDirectStride2(g) && Vector512.IsHardwareAccelerated) && g.C <= 64;

    /// <summary>
    /// dW (K, C, 3, 3) gets (when <paramref name="overwrite"/>) or accumulates the filter gradient of images
    /// [0, <paramref name="count"/>) of x and dY, Σ_{n,p,q} dY_n[k, p, q] · x_n[c, σp + r − 1, σq + s − 1] for stride σ
    /// of 1 or 2. Both are laid out as for <see cref="ForwardDirect3x3"/>: x on its flat zero-bordered planes (stride 2:
    /// phases), dypw (K, P·(Q+1)) with zeros in the extra column, so the dot product of tap (r, s) runs over all flat
    /// positions j with x read at j + taps[r·3 + s] (<see cref="DirectTaps"/>).
    /// Each output is summed in 16 lanes (lane l takes j ≡ l mod 16, in image order and increasing j) and then by a
    /// fixed tree, so the result never depends on the thread count. Summing several images before the lane sums pays
    /// for those once per group: on small planes (32@16: 18 vector steps per image) they cost about as much as the
    /// multiply-adds. <paramref name="scratch"/> holds, per image, xpad then dypw.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void WeightDirect3x3(float* x, float* dY, int count, float* dW, in Conv2dGeometry g, bool overwrite, float* scratch)
    {
        int C = g.C, K = g.K, H = g.H, W = g.W, P = g.P, Q = g.Q, ws = Q + 1, plane = DirectChannelStride(g);
        int rowLength = WeightRowLength(g), kPad = (K + WeightKB - 1) / WeightKB * WeightKB;
        int xLength = DirectXLength(g), imageScratch = WeightImageScratch(g);
        int* taps = stackalloc int[9];
        DirectTaps(g, taps);
        for (int i = 0; i < count; i++)
        {
            float* xpad = scratch + (long)i * imageScratch, dypw = xpad + xLength, dy = dY + (long)i * K * P * Q;
            if (g.StrideH == 1) PadImage(x + (long)i * C * H * W, xpad, C, H, W, xLength);
            else PadPhases(x + (long)i * C * H * W, xpad, g, xLength);
            new Span<float>(dypw, kPad * rowLength).Clear();
            for (int k = 0; k < K; k++)
                for (int p = 0; p < P; p++)
                    CopyShort(dy + ((long)k * P + p) * Q, dypw + (long)k * rowLength + p * ws, Q);
        }
        for (int kb = 0; kb < kPad; kb += WeightKB)
            for (int c = 0; c < C; c++)
                for (int r = 0; r < 3; r++)
                    if (Vector512.IsHardwareAccelerated)
                        WeightKernel512(scratch + xLength + (long)kb * rowLength, rowLength, scratch + (long)c * plane, taps + 3 * r, count, imageScratch,
                            dW, kb, K, c, r, C, overwrite);
                    else WeightKernel256(scratch + xLength + (long)kb * rowLength, rowLength, scratch + (long)c * plane, taps + 3 * r, count, imageScratch,
                            dW, kb, K, c, r, C, overwrite);
    }

    /// <summary>Floats of the zero-bordered image plus the slack the direct kernels read past its end (up to 16 positions of the last row's rounding).</summary>
    private static int DirectXLength(in Conv2dGeometry g) => g.C * DirectChannelStride(g) + 32;

    /// <summary>Scratch floats of one image of <see cref="WeightDirect3x3"/>: xpad then dypw.</summary>
    private static int WeightImageScratch(in Conv2dGeometry g) =>
        DirectXLength(g) + (g.K + WeightKB - 1) / WeightKB * WeightKB * WeightRowLength(g);

    /// <summary>
    /// 8 output channels × the 3 taps s of one (c, r), read at xc + taps[s]: 24 accumulators, 3 + 8 loads per 16 positions (the x loads are
    /// unaligned; against 4 channels, 3 + 4 loads per 12 FMAs, 16@32 took 4.06 instead of 4.40 ms, one thread).
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void WeightKernel512(float* dy, int rowLength, float* xc, int* taps, int count, int imageStride, float* dW, int kb, int K, int c, int r, int C,
        bool overwrite)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
        Vector512<float> a40 = default, a41 = default, a42 = default, a50 = default, a51 = default, a52 = default;
        Vector512<float> a60 = default, a61 = default, a62 = default, a70 = default, a71 = default, a72 = default;
        float* xs0 = xc + taps[0], xs1 = xc + taps[1], xs2 = xc + taps[2];
        for (int i = 0; i < count; i++, dy += imageStride, xs0 += imageStride, xs1 += imageStride, xs2 += imageStride)
        {
            float* d4 = dy + 4 * rowLength;
            for (int j = 0; j < rowLength; j += 16)
            {
                var x0 = Vector512.Load(xs0 + j);
                var x1 = Vector512.Load(xs1 + j);
                var x2 = Vector512.Load(xs2 + j);
                var d = Vector512.Load(dy + j);
                a00 = Vector512.FusedMultiplyAdd(d, x0, a00); a01 = Vector512.FusedMultiplyAdd(d, x1, a01); a02 = Vector512.FusedMultiplyAdd(d, x2, a02);
                d = Vector512.Load(dy + rowLength + j);
                a10 = Vector512.FusedMultiplyAdd(d, x0, a10); a11 = Vector512.FusedMultiplyAdd(d, x1, a11); a12 = Vector512.FusedMultiplyAdd(d, x2, a12);
                d = Vector512.Load(dy + 2 * rowLength + j);
                a20 = Vector512.FusedMultiplyAdd(d, x0, a20); a21 = Vector512.FusedMultiplyAdd(d, x1, a21); a22 = Vector512.FusedMultiplyAdd(d, x2, a22);
                d = Vector512.Load(dy + 3 * rowLength + j);
                a30 = Vector512.FusedMultiplyAdd(d, x0, a30); a31 = Vector512.FusedMultiplyAdd(d, x1, a31); a32 = Vector512.FusedMultiplyAdd(d, x2, a32);
                d = Vector512.Load(d4 + j);
                a40 = Vector512.FusedMultiplyAdd(d, x0, a40); a41 = Vector512.FusedMultiplyAdd(d, x1, a41); a42 = Vector512.FusedMultiplyAdd(d, x2, a42);
                d = Vector512.Load(d4 + rowLength + j);
                a50 = Vector512.FusedMultiplyAdd(d, x0, a50); a51 = Vector512.FusedMultiplyAdd(d, x1, a51); a52 = Vector512.FusedMultiplyAdd(d, x2, a52);
                d = Vector512.Load(d4 + 2 * rowLength + j);
                a60 = Vector512.FusedMultiplyAdd(d, x0, a60); a61 = Vector512.FusedMultiplyAdd(d, x1, a61); a62 = Vector512.FusedMultiplyAdd(d, x2, a62);
                d = Vector512.Load(d4 + 3 * rowLength + j);
                a70 = Vector512.FusedMultiplyAdd(d, x0, a70); a71 = Vector512.FusedMultiplyAdd(d, x1, a71); a72 = Vector512.FusedMultiplyAdd(d, x2, a72);
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

    /// <summary>
    /// <see cref="WeightKernel512"/> on Vector256: 8 channels × 3 taps × 2 halves would be 48 accumulators, so each
    /// quad of channels and each half of the 16 lanes is a pass of its own (<see cref="WeightQuad256"/>), and the
    /// halves are joined for the same lane-sum tree. Every lane sums the same positions in the same order: same bits.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void WeightKernel256(float* dy, int rowLength, float* xc, int* taps, int count, int imageStride, float* dW, int kb, int K, int c, int r, int C,
        bool overwrite)
    {
        var a = stackalloc Vector512<float>[12];
        for (int quad = 0; quad < WeightKB; quad += 4)
        {
            WeightQuad256(dy + (long)quad * rowLength, rowLength, xc, taps, count, imageStride, (Vector256<float>*)a);
            WeightQuad256(dy + (long)quad * rowLength + 8, rowLength, xc + 8, taps, count, imageStride, (Vector256<float>*)a + 1);
            for (int k = 0; k < 4; k++) Store(dW, kb + quad + k, K, c, r, C, overwrite, a[3 * k], a[3 * k + 1], a[3 * k + 2]);
        }
    }

    /// <summary>
    /// 4 channels × the 3 taps s, over lanes 8 wide at every 16th position (one half of <see cref="WeightKernel512"/>'s
    /// lanes): 12 accumulators, 3 + 4 loads per 12 FMAs, into a[2·(3k + s)] (k the channel, a the halves of Vector512s).
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void WeightQuad256(float* dy, int rowLength, float* xc, int* taps, int count, int imageStride, Vector256<float>* a)
    {
        Vector256<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
        float* xs0 = xc + taps[0], xs1 = xc + taps[1], xs2 = xc + taps[2];
        for (int i = 0; i < count; i++, dy += imageStride, xs0 += imageStride, xs1 += imageStride, xs2 += imageStride)
        {
            for (int j = 0; j < rowLength; j += 16)
            {
                var x0 = Vector256.Load(xs0 + j);
                var x1 = Vector256.Load(xs1 + j);
                var x2 = Vector256.Load(xs2 + j);
                var d = Vector256.Load(dy + j);
                a00 = Vector256.FusedMultiplyAdd(d, x0, a00); a01 = Vector256.FusedMultiplyAdd(d, x1, a01); a02 = Vector256.FusedMultiplyAdd(d, x2, a02);
                d = Vector256.Load(dy + rowLength + j);
                a10 = Vector256.FusedMultiplyAdd(d, x0, a10); a11 = Vector256.FusedMultiplyAdd(d, x1, a11); a12 = Vector256.FusedMultiplyAdd(d, x2, a12);
                d = Vector256.Load(dy + 2 * rowLength + j);
                a20 = Vector256.FusedMultiplyAdd(d, x0, a20); a21 = Vector256.FusedMultiplyAdd(d, x1, a21); a22 = Vector256.FusedMultiplyAdd(d, x2, a22);
                d = Vector256.Load(dy + 3 * rowLength + j);
                a30 = Vector256.FusedMultiplyAdd(d, x0, a30); a31 = Vector256.FusedMultiplyAdd(d, x1, a31); a32 = Vector256.FusedMultiplyAdd(d, x2, a32);
            }
        }
        a[0] = a00; a[2] = a01; a[4] = a02; a[6] = a10; a[8] = a11; a[10] = a12;
        a[12] = a20; a[14] = a21; a[16] = a22; a[18] = a30; a[20] = a31; a[22] = a32;
    }

    /// <summary>Writes (or adds) the lane sums of the three taps s of dW[k, c, r, ·]; rows past K (zero padding) are dropped.</summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void Store(float* dW, int k, int K, int c, int r, int C, bool overwrite,
        Vector512<float> s0, Vector512<float> s1, Vector512<float> s2)
    {
        if (k >= K) return;
        float* d = dW + ((long)(k * C + c) * 3 + r) * 3;
        float v0 = LaneSum(s0), v1 = LaneSum(s1), v2 = LaneSum(s2);
        if (overwrite) { d[0] = v0; d[1] = v1; d[2] = v2; }
        else { d[0] += v0; d[1] += v1; d[2] += v2; }
    }

    /// <summary>The 16 lanes summed by a fixed tree: halves, then quarters, then eighths, then the last pair.</summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static float LaneSum(Vector512<float> v)
    {
        var h = v.GetLower() + v.GetUpper();
        var q = h.GetLower() + h.GetUpper();
        return (q.GetElement(0) + q.GetElement(2)) + (q.GetElement(1) + q.GetElement(3));
    }
}
