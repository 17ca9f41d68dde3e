using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NanoFed.Kernels;

// The lanes layout of Conv2d.WinogradLanes.cs and Conv2d.WeightLanes.cs: a group of 16 images with the image index
// last, one image per lane of a Vector512, so that every position of every image plane is one whole vector. On AVX2
// a lanes row is two Vector256 halves: the transposes, transforms and micro-kernels have Vector256 versions, and the
// plain Vector512 copies and adds between them run through the runtime's software Vector512.
public static unsafe partial class Conv2d
{
    /// <summary>Images per group of the lanes layout: one per lane of a Vector512 (two Vector256 on AVX2).</summary>
    private const int LaneImages = 16;

    /// <summary>
    /// Whether the lanes kernels run on AVX2 without AVX-512: each lanes row as two Vector256 halves, with FMA.
    /// </summary>
    private static bool LanesOnAvx2 =>
        !Avx512F.IsSupported && Avx2.IsSupported && Fma.IsSupported && Vector256.IsHardwareAccelerated;

    /// <summary>
    /// xt (C, H+2, W+2, 16) = images [0, count) of x (count, C, H, W) with the image index last, zero in the border
    /// and in the lanes of missing images, by 16×16 transposes (16 images × 16 consecutive positions of a plane).
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void LanesIn(float* x, int count, float* xt, in Conv2dGeometry g)
    {
        int C = g.C, H = g.H, W = g.W, hw = H * W, hp = H + 2, wp = W + 2;
        var r = stackalloc Vector512<float>[LaneImages];
        for (int c = 0; c < C; c++)
        {
            float* plane = xt + (long)c * hp * wp * LaneImages;
            new Span<float>(plane, wp * LaneImages).Clear();
            new Span<float>(plane + (long)(hp - 1) * wp * LaneImages, wp * LaneImages).Clear();
            for (int h = 1; h <= H; h++)
            {
                Vector512<float>.Zero.Store(plane + (long)h * wp * LaneImages);
                Vector512<float>.Zero.Store(plane + ((long)h * wp + wp - 1) * LaneImages);
            }
            for (int p0 = 0; p0 < hw; p0 += LaneImages)
            {
                LoadTransposed(x + (long)c * hw + p0, (long)C * hw, count, r);
                int h = p0 / W, col = p0 - h * W;
                for (int i = 0; i < LaneImages; i++)
                {
                    r[i].Store(plane + ((long)(h + 1) * wp + col + 1) * LaneImages);
                    if (++col == W)
                    {
                        col = 0;
                        h++;
                    }
                }
            }
        }
    }

    /// <summary>
    /// dst (planes, hw, 16), planes <paramref name="dstPlane"/> floats apart = images [0, count) of src
    /// (count, planes, hw) with the image index last, zeros in the lanes of missing images; hw a multiple of 16.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void LanesPlain(float* src, int count, int planes, int hw, float* dst, int dstPlane)
    {
        var r = stackalloc Vector512<float>[LaneImages];
        for (int k = 0; k < planes; k++)
            for (int p0 = 0; p0 < hw; p0 += LaneImages)
            {
                LoadTransposed(src + (long)k * hw + p0, (long)planes * hw, count, r);
                float* d = dst + (long)k * dstPlane + p0 * LaneImages;
                for (int i = 0; i < LaneImages; i++) r[i].Store(d + i * LaneImages);
            }
    }

    /// <summary>r[i][n] = src[n·<paramref name="imageStride"/> + i] for the first <paramref name="count"/> of 16 images, 0 for the others.</summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void LoadTransposed(float* src, long imageStride, int count, Vector512<float>* r)
    {
        if (!Avx512F.IsSupported)
        {
            LoadTransposed256(src, imageStride, count, (Vector256<float>*)r);
            return;
        }
        for (int n = 0; n < LaneImages; n++)
            r[n] = n < count ? Vector512.Load(src + n * imageStride) : Vector512<float>.Zero;
        Transpose16x16(r);
    }

    /// <summary>y[n, k] (images [0, count) of y (count, K, hw)) = yt[k, ·, n] (planes <paramref name="ytPlane"/> apart; or += when accumulating), by 16×16 transposes.</summary>
    [MethodImpl(Inlining.HotPath)]
    private static void LanesOut(float* yt, int ytPlane, float* y, int count, int k, int hw, bool accumulate)
    {
        var r = stackalloc Vector512<float>[LaneImages];
        for (int kk = 0; kk < k; kk++)
            for (int p0 = 0; p0 < hw; p0 += LaneImages)
            {
                float* src = yt + (long)kk * ytPlane + p0 * LaneImages;
                for (int i = 0; i < LaneImages; i++) r[i] = Vector512.Load(src + i * LaneImages);
                if (Avx512F.IsSupported) Transpose16x16(r);
                else Transpose16x16((Vector256<float>*)r);
                for (int n = 0; n < count; n++)
                {
                    float* dst = y + ((long)n * k + kk) * hw + p0;
                    (accumulate ? Vector512.Load(dst) + r[n] : r[n]).Store(dst);
                }
            }
    }

    /// <summary>
    /// Transposes the 16×16 floats held by r[0..15] in place (row i becomes column i): 32-bit and 64-bit unpacks
    /// within 128-bit lanes, then two rounds of 128-bit lane shuffles, all in registers.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    internal static void Transpose16x16(Vector512<float>* r)
    {
        // Quarter q holds, in 128-bit lane L, columns 4L..4L+3 of rows 4q..4q+3, one column per vector.
        TransposeQuarters(r[0], r[1], r[2], r[3], out var a0, out var a1, out var a2, out var a3);
        TransposeQuarters(r[4], r[5], r[6], r[7], out var b0, out var b1, out var b2, out var b3);
        TransposeQuarters(r[8], r[9], r[10], r[11], out var c0, out var c1, out var c2, out var c3);
        TransposeQuarters(r[12], r[13], r[14], r[15], out var d0, out var d1, out var d2, out var d3);
        GatherLanes(a0, b0, c0, d0, r);
        GatherLanes(a1, b1, c1, d1, r + 1);
        GatherLanes(a2, b2, c2, d2, r + 2);
        GatherLanes(a3, b3, c3, d3, r + 3);
    }

    /// <summary>Rows r0..r3 → u_j holding, in 128-bit lane L, column 4L + j of the four rows.</summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void TransposeQuarters(Vector512<float> r0, Vector512<float> r1, Vector512<float> r2, Vector512<float> r3,
        out Vector512<float> u0, out Vector512<float> u1, out Vector512<float> u2, out Vector512<float> u3)
    {
        var t0 = Avx512F.UnpackLow(r0, r1).AsDouble();
        var t1 = Avx512F.UnpackHigh(r0, r1).AsDouble();
        var t2 = Avx512F.UnpackLow(r2, r3).AsDouble();
        var t3 = Avx512F.UnpackHigh(r2, r3).AsDouble();
        u0 = Avx512F.UnpackLow(t0, t2).AsSingle();
        u1 = Avx512F.UnpackHigh(t0, t2).AsSingle();
        u2 = Avx512F.UnpackLow(t1, t3).AsSingle();
        u3 = Avx512F.UnpackHigh(t1, t3).AsSingle();
    }

    /// <summary>Column 4L + j (L = 0..3) into r[4L] from lane L of the four quarters' u_j (r already offset by j).</summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void GatherLanes(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d, Vector512<float>* r)
    {
        var s0 = Avx512F.Shuffle4x128(a, b, 0x44);
        var s1 = Avx512F.Shuffle4x128(a, b, 0xEE);
        var s2 = Avx512F.Shuffle4x128(c, d, 0x44);
        var s3 = Avx512F.Shuffle4x128(c, d, 0xEE);
        r[0] = Avx512F.Shuffle4x128(s0, s2, 0x88);
        r[4] = Avx512F.Shuffle4x128(s0, s2, 0xDD);
        r[8] = Avx512F.Shuffle4x128(s1, s3, 0x88);
        r[12] = Avx512F.Shuffle4x128(s1, s3, 0xDD);
    }

    /// <summary>
    /// <see cref="LoadTransposed"/> on AVX2: the same 16 rows of 16 floats, each as two Vector256 halves (r[2i] holds
    /// lanes 0-7 of row i, r[2i + 1] lanes 8-15: the memory layout of 16 Vector512s).
    /// </summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void LoadTransposed256(float* src, long imageStride, int count, Vector256<float>* r)
    {
        for (int n = 0; n < LaneImages; n++)
        {
            r[2 * n] = n < count ? Vector256.Load(src + n * imageStride) : Vector256<float>.Zero;
            r[2 * n + 1] = n < count ? Vector256.Load(src + n * imageStride + 8) : Vector256<float>.Zero;
        }
        Transpose16x16(r);
    }

    /// <summary>
    /// Transposes the 16×16 floats held as 32 halves (r[2i + h]: columns 8h..8h+7 of row i) in place, as four 8×8
    /// transposes: the diagonal blocks in place, the two others exchanged through a copy.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    internal static void Transpose16x16(Vector256<float>* r)
    {
        var upper = stackalloc Vector256<float>[8];
        Transpose8x8(r, r, 2);
        Transpose8x8(r + 17, r + 17, 2);
        Transpose8x8(r + 1, upper, 1);
        Transpose8x8(r + 16, r + 1, 2);
        for (int i = 0; i < 8; i++) r[16 + 2 * i] = upper[i];
    }

    /// <summary>
    /// dst[i·<paramref name="step"/>] = column i of the 8×8 block of rows src[0], src[2], ..., src[14] (every other
    /// vector: one half of the 16-lane rows). All eight rows are read before anything is written, so dst may be src.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void Transpose8x8(Vector256<float>* src, Vector256<float>* dst, int step)
    {
        // 32-bit, then 64-bit unpacks within 128-bit lanes; then the two lanes of rows 0-3 and 4-7 are joined.
        var t0 = Avx.UnpackLow(src[0], src[2]); var t1 = Avx.UnpackHigh(src[0], src[2]);
        var t2 = Avx.UnpackLow(src[4], src[6]); var t3 = Avx.UnpackHigh(src[4], src[6]);
        var t4 = Avx.UnpackLow(src[8], src[10]); var t5 = Avx.UnpackHigh(src[8], src[10]);
        var t6 = Avx.UnpackLow(src[12], src[14]); var t7 = Avx.UnpackHigh(src[12], src[14]);
        var s0 = Avx.UnpackLow(t0.AsDouble(), t2.AsDouble()).AsSingle(); var s1 = Avx.UnpackHigh(t0.AsDouble(), t2.AsDouble()).AsSingle();
        var s2 = Avx.UnpackLow(t1.AsDouble(), t3.AsDouble()).AsSingle(); var s3 = Avx.UnpackHigh(t1.AsDouble(), t3.AsDouble()).AsSingle();
        var s4 = Avx.UnpackLow(t4.AsDouble(), t6.AsDouble()).AsSingle(); var s5 = Avx.UnpackHigh(t4.AsDouble(), t6.AsDouble()).AsSingle();
        var s6 = Avx.UnpackLow(t5.AsDouble(), t7.AsDouble()).AsSingle(); var s7 = Avx.UnpackHigh(t5.AsDouble(), t7.AsDouble()).AsSingle();
        dst[0] = Avx.Permute2x128(s0, s4, 0x20); dst[step] = Avx.Permute2x128(s1, s5, 0x20);
        dst[2 * step] = Avx.Permute2x128(s2, s6, 0x20); dst[3 * step] = Avx.Permute2x128(s3, s7, 0x20);
        dst[4 * step] = Avx.Permute2x128(s0, s4, 0x31); dst[5 * step] = Avx.Permute2x128(s1, s5, 0x31);
        dst[6 * step] = Avx.Permute2x128(s2, s6, 0x31); dst[7 * step] = Avx.Permute2x128(s3, s7, 0x31);
    }
}
