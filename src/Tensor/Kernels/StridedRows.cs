using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NanoFed.Kernels;

/// <summary>
/// Row helpers for stride 2 in space: even elements out, even elements in, even and odd apart. Pairs of floats are
/// moved as 64-bit lanes (narrowed to their low or high halves, or widened from 32 bits), which on little-endian
/// machines are the even and odd floats. None touches memory past the last element it uses, so they run on rows
/// that end a buffer and on rows another thread writes next to.
/// </summary>
internal static unsafe class StridedRows
{
    /// <summary>dst[i] = src[2·i] for i &lt; n, reading src[0 .. <paramref name="readable"/> − 1] at most (at least 2n − 1).</summary>
    [MethodImpl(Inlining.ShortMethod)]
    public static void Even(float* src, float* dst, int n, int readable)
    {
        int i = 0;
        // A vector step reads 2·lanes floats from src + 2i, the last one past what it keeps.
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n && 2 * i + 32 <= readable; i += 16)
                Vector512.Store(Vector512.Narrow(Vector512.Load(src + 2 * i).AsUInt64(), Vector512.Load(src + 2 * i + 16).AsUInt64()).AsSingle(), dst + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n && 2 * i + 16 <= readable; i += 8)
                Vector256.Store(Vector256.Narrow(Vector256.Load(src + 2 * i).AsUInt64(), Vector256.Load(src + 2 * i + 8).AsUInt64()).AsSingle(), dst + i);
        if (Vector128.IsHardwareAccelerated)
            for (; i + 4 <= n && 2 * i + 8 <= readable; i += 4)
                Vector128.Store(Vector128.Narrow(Vector128.Load(src + 2 * i).AsUInt64(), Vector128.Load(src + 2 * i + 4).AsUInt64()).AsSingle(), dst + i);
        for (; i < n; i++) dst[i] = src[2 * i];
    }

    /// <summary>dst[2·i] += src[i] for i &lt; n (touches dst[0 .. 2n − 2]; the odd floats get +0, which keeps them).</summary>
    [MethodImpl(Inlining.ShortMethod)]
    public static void AddToEven(float* src, float* dst, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 < n; i += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(src + i).AsUInt32());
                Vector512.Store(Vector512.Load(dst + 2 * i) + lo.AsSingle(), dst + 2 * i);
                Vector512.Store(Vector512.Load(dst + 2 * i + 16) + hi.AsSingle(), dst + 2 * i + 16);
            }
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 < n; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(src + i).AsUInt32());
                Vector256.Store(Vector256.Load(dst + 2 * i) + lo.AsSingle(), dst + 2 * i);
                Vector256.Store(Vector256.Load(dst + 2 * i + 8) + hi.AsSingle(), dst + 2 * i + 8);
            }
        if (Vector128.IsHardwareAccelerated)
            for (; i + 4 < n; i += 4)
            {
                var (lo, hi) = Vector128.Widen(Vector128.Load(src + i).AsUInt32());
                Vector128.Store(Vector128.Load(dst + 2 * i) + lo.AsSingle(), dst + 2 * i);
                Vector128.Store(Vector128.Load(dst + 2 * i + 4) + hi.AsSingle(), dst + 2 * i + 4);
            }
        for (; i < n; i++) dst[2 * i] += src[i];
    }

    /// <summary>even[i] = src[2i] and odd[i] = src[2i + 1] for the w floats of src (reads src[0 .. w − 1]).</summary>
    [MethodImpl(Inlining.ShortMethod)]
    public static void Deinterleave(float* src, int w, float* even, float* odd)
    {
        int i = 0, pairs = w / 2;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= pairs; i += 16)
            {
                var lo = Vector512.Load(src + 2 * i).AsUInt64();
                var hi = Vector512.Load(src + 2 * i + 16).AsUInt64();
                Vector512.Store(Vector512.Narrow(lo, hi).AsSingle(), even + i);
                Vector512.Store(Vector512.Narrow(lo >>> 32, hi >>> 32).AsSingle(), odd + i);
            }
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= pairs; i += 8)
            {
                var lo = Vector256.Load(src + 2 * i).AsUInt64();
                var hi = Vector256.Load(src + 2 * i + 8).AsUInt64();
                Vector256.Store(Vector256.Narrow(lo, hi).AsSingle(), even + i);
                Vector256.Store(Vector256.Narrow(lo >>> 32, hi >>> 32).AsSingle(), odd + i);
            }
        for (; i < pairs; i++)
        {
            even[i] = src[2 * i];
            odd[i] = src[2 * i + 1];
        }
        if ((w & 1) != 0) even[pairs] = src[w - 1];
    }

    /// <summary>
    /// dst[2i] (+)= even[i] and dst[2i + 1] (+)= odd[i] for the w floats of dst: overwritten when
    /// <paramref name="overwrite"/>, else added into. Reads even[0 .. ⌈w/2⌉ − 1] and odd[0 .. ⌊w/2⌋ − 1].
    /// </summary>
    [MethodImpl(Inlining.ShortMethod)]
    public static void Interleave(float* even, float* odd, float* dst, int w, bool overwrite)
    {
        int i = 0, pairs = w / 2;
        if (Avx512F.IsSupported)
        {
            var low = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
            var high = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
            for (; i + 16 <= pairs; i += 16)
            {
                var e = Vector512.Load(even + i);
                var o = Vector512.Load(odd + i);
                var lo = Avx512F.PermuteVar16x32x2(e, low, o);
                var hi = Avx512F.PermuteVar16x32x2(e, high, o);
                float* d = dst + 2 * i;
                if (!overwrite)
                {
                    lo += Vector512.Load(d);
                    hi += Vector512.Load(d + 16);
                }
                lo.Store(d);
                hi.Store(d + 16);
            }
        }
        for (; i < pairs; i++)
        {
            dst[2 * i] = overwrite ? even[i] : dst[2 * i] + even[i];
            dst[2 * i + 1] = overwrite ? odd[i] : dst[2 * i + 1] + odd[i];
        }
        if ((w & 1) != 0) dst[w - 1] = overwrite ? even[pairs] : dst[w - 1] + even[pairs];
    }
}
