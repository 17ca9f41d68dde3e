using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NanoFed.Kernels;

/// <summary>
/// The 2×2 stride-2 unpadded window (VGG's pooling) without the general loop's per-window range checks: each output
/// compares its four inputs in window order with the general rule (a later value wins when greater or NaN, nothing
/// wins after a NaN), so values and argmax are those of the general path. On AVX-512, rows of a multiple of 16
/// outputs run 16 at a time, and rows of 8 outputs two rows at a time (even and odd columns split by two-source
/// permutes).
/// </summary>
public static unsafe partial class MaxPool2d
{
    private static bool IsWindow2(in Pool2dGeometry g) =>
        g.KernelH == 2 && g.KernelW == 2 && g.StrideH == 2 && g.StrideW == 2 && g.PadH == 0 && g.PadW == 0;

    /// <summary>One plane: x (H, W) → y, argmax (P, Q).</summary>
    [MethodImpl(Inlining.HotPath)]
    private static void ForwardWindow2(float* x, float* y, float* argmax, in Pool2dGeometry g)
    {
        int P = g.P, Q = g.Q, W = g.W, p = 0;
        if (Avx512F.IsSupported && Q == 8)
        {
            // 16 lanes = output rows p and p + 1, whose windows start at input rows 2p and 2p + 2.
            for (; p + 1 < P; p += 2) Window2Vector(x + (long)2 * p * W, W, 2 * W, 2 * p * W, y + (long)p * Q, argmax + (long)p * Q);
        }
        for (; p < P; p++)
        {
            float* r0 = x + (long)2 * p * W;
            float* yr = y + (long)p * Q, ar = argmax + (long)p * Q;
            int q = 0;
            if (Avx512F.IsSupported && Q % 16 == 0)
            {
                for (; q < Q; q += 16) Window2Vector(r0 + 2 * q, W, 16, 2 * p * W + 2 * q, yr + q, ar + q);
            }
            for (; q < Q; q++)
            {
                int at = 2 * p * W + 2 * q;
                float* v = r0 + 2 * q;
                float best = v[0];
                int k = 0;
                Pick(ref best, ref k, v[1], 1);
                Pick(ref best, ref k, v[W], W);
                Pick(ref best, ref k, v[W + 1], W + 1);
                yr[q] = best;
                ar[q] = at + k;
            }
        }
    }

    /// <summary>The general rule for the next value in window order: it wins when greater or NaN, unless a NaN already won.</summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void Pick(ref float best, ref int at, float v, int offset)
    {
        if (!float.IsNaN(best) && (v > best || float.IsNaN(v)))
        {
            best = v;
            at = offset;
        }
    }

    /// <summary>
    /// 16 outputs by <see cref="Pick(ref float, ref int, float, int)"/> on 16 lanes: lanes 0-7 take the windows of the
    /// 16 columns at r0 (and r0 + w below), lanes 8-15 those at r0 + <paramref name="second"/> (16: the next columns
    /// of the same rows; 2w: the same columns two rows down). <paramref name="at"/> is r0's index in the plane.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void Window2Vector(float* r0, int w, int second, int at, float* y, float* argmax)
    {
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odd = even + Vector512<int>.One;
        var upper = Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1) * (second - 16);
        float* r1 = r0 + w;
        Vector512<float> a0 = Vector512.Load(r0), b0 = Vector512.Load(r0 + second), a1 = Vector512.Load(r1), b1 = Vector512.Load(r1 + second);
        var best = Avx512F.PermuteVar16x32x2(a0, even, b0);
        var first = Vector512.ConvertToSingle(Vector512.Create(at) + even + upper);
        var index = first;
        Pick(ref best, ref index, Avx512F.PermuteVar16x32x2(a0, odd, b0), first + Vector512<float>.One);
        Pick(ref best, ref index, Avx512F.PermuteVar16x32x2(a1, even, b1), first + Vector512.Create((float)w));
        Pick(ref best, ref index, Avx512F.PermuteVar16x32x2(a1, odd, b1), first + Vector512.Create((float)w + 1));
        best.Store(y);
        index.Store(argmax);
    }

    [MethodImpl(Inlining.ShortMethod)]
    private static void Pick(ref Vector512<float> best, ref Vector512<float> index, Vector512<float> v, Vector512<float> vIndex)
    {
        var wins = (Vector512.GreaterThan(v, best) | ~Vector512.Equals(v, v)) & Vector512.Equals(best, best);
        best = Vector512.ConditionalSelect(wins, v, best);
        index = Vector512.ConditionalSelect(wins, vIndex, index);
    }
}
