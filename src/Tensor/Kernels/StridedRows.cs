using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
}
