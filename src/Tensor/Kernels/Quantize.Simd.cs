using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NanoFed.Kernels;

public static partial class Quantize
{
    /// <summary>
    /// A rounding rule: maps an input a and a uniform u (ignored by the nearest rules) to the code as a float,
    /// already clamped. The same IEEE operations in the same order at every width, so all paths agree bit for bit.
    /// </summary>
    private interface IRounding
    {
        float Invoke(float a, float u);

        Vector128<float> Invoke(Vector128<float> a, Vector128<float> u);

        Vector256<float> Invoke(Vector256<float> a, Vector256<float> u);

        Vector512<float> Invoke(Vector512<float> a, Vector512<float> u);
    }

    private readonly struct RoundNearest(float inv, int qmax) : IRounding
    {
        private readonly float _inv = inv, _lo = -qmax, _hi = qmax;

        public float Invoke(float a, float u) => Math.Clamp(MathF.Round(a * _inv, MidpointRounding.ToEven), _lo, _hi);

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> u) =>
            Vector128.Min(Vector128.Max(Vector128.Round(a * _inv), Vector128.Create(_lo)), Vector128.Create(_hi));

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> u) =>
            Vector256.Min(Vector256.Max(Vector256.Round(a * _inv), Vector256.Create(_lo)), Vector256.Create(_hi));

        public Vector512<float> Invoke(Vector512<float> a, Vector512<float> u) =>
            Vector512.Min(Vector512.Max(Vector512.Round(a * _inv), Vector512.Create(_lo)), Vector512.Create(_hi));
    }

    private readonly struct RoundStochastic(float inv, int qmax) : IRounding
    {
        private readonly float _inv = inv, _lo = -qmax, _hi = qmax;

        public float Invoke(float a, float u) => Math.Clamp(MathF.Floor(a * _inv + u), _lo, _hi);

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> u) =>
            Vector128.Min(Vector128.Max(Vector128.Floor(a * _inv + u), Vector128.Create(_lo)), Vector128.Create(_hi));

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> u) =>
            Vector256.Min(Vector256.Max(Vector256.Floor(a * _inv + u), Vector256.Create(_lo)), Vector256.Create(_hi));

        public Vector512<float> Invoke(Vector512<float> a, Vector512<float> u) =>
            Vector512.Min(Vector512.Max(Vector512.Floor(a * _inv + u), Vector512.Create(_lo)), Vector512.Create(_hi));
    }

    /// <summary>b = 1, nearest: +1 where a ≥ 0, else −1.</summary>
    private readonly struct SignNearest(float inv) : IRounding
    {
        private readonly float _inv = inv;

        public float Invoke(float a, float u) => a * _inv >= 0 ? 1f : -1f;

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> u) =>
            Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(a * _inv, Vector128<float>.Zero), Vector128<float>.One, -Vector128<float>.One);

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> u) =>
            Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a * _inv, Vector256<float>.Zero), Vector256<float>.One, -Vector256<float>.One);

        public Vector512<float> Invoke(Vector512<float> a, Vector512<float> u) =>
            Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a * _inv, Vector512<float>.Zero), Vector512<float>.One, -Vector512<float>.One);
    }

    /// <summary>b = 1, stochastic: 2·floor(x/2 + 1/2 + u) − 1 (stochastic rounding of (x + 1)/2 onto {0, 1}).</summary>
    private readonly struct SignStochastic(float inv) : IRounding
    {
        private readonly float _inv = inv;

        public float Invoke(float a, float u) => Math.Clamp(2 * MathF.Floor(a * _inv * 0.5f + 0.5f + u) - 1, -1f, 1f);

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> u) =>
            Vector128.Min(Vector128.Max(Vector128.Floor(a * _inv * 0.5f + Vector128.Create(0.5f) + u) * 2f - Vector128<float>.One, -Vector128<float>.One), Vector128<float>.One);

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> u) =>
            Vector256.Min(Vector256.Max(Vector256.Floor(a * _inv * 0.5f + Vector256.Create(0.5f) + u) * 2f - Vector256<float>.One, -Vector256<float>.One), Vector256<float>.One);

        public Vector512<float> Invoke(Vector512<float> a, Vector512<float> u) =>
            Vector512.Min(Vector512.Max(Vector512.Floor(a * _inv * 0.5f + Vector512.Create(0.5f) + u) * 2f - Vector512<float>.One, -Vector512<float>.One), Vector512<float>.One);
    }

    /// <summary>
    /// q[i] = (sbyte)op(a[i], u[i]). One running offset steps down 512 → 256 → 128 → scalar; each vector step
    /// rounds four float vectors and narrows them (int → short → sbyte) into one full sbyte vector.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void Narrow<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> u, Span<sbyte> q, TOp op) where TOp : struct, IRounding
    {
        ref float pa = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a);
        ref float pu = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(u);
        ref sbyte pq = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(q);
        int n = a.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 64 <= n; i += 64)
            {
                var c0 = Vector512.ConvertToInt32(op.Invoke(Vector512.LoadUnsafe(ref pa, (nuint)i), Vector512.LoadUnsafe(ref pu, (nuint)i)));
                var c1 = Vector512.ConvertToInt32(op.Invoke(Vector512.LoadUnsafe(ref pa, (nuint)i + 16), Vector512.LoadUnsafe(ref pu, (nuint)i + 16)));
                var c2 = Vector512.ConvertToInt32(op.Invoke(Vector512.LoadUnsafe(ref pa, (nuint)i + 32), Vector512.LoadUnsafe(ref pu, (nuint)i + 32)));
                var c3 = Vector512.ConvertToInt32(op.Invoke(Vector512.LoadUnsafe(ref pa, (nuint)i + 48), Vector512.LoadUnsafe(ref pu, (nuint)i + 48)));
                Vector512.Narrow(Vector512.Narrow(c0, c1), Vector512.Narrow(c2, c3)).StoreUnsafe(ref pq, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= n; i += 32)
            {
                var c0 = Vector256.ConvertToInt32(op.Invoke(Vector256.LoadUnsafe(ref pa, (nuint)i), Vector256.LoadUnsafe(ref pu, (nuint)i)));
                var c1 = Vector256.ConvertToInt32(op.Invoke(Vector256.LoadUnsafe(ref pa, (nuint)i + 8), Vector256.LoadUnsafe(ref pu, (nuint)i + 8)));
                var c2 = Vector256.ConvertToInt32(op.Invoke(Vector256.LoadUnsafe(ref pa, (nuint)i + 16), Vector256.LoadUnsafe(ref pu, (nuint)i + 16)));
                var c3 = Vector256.ConvertToInt32(op.Invoke(Vector256.LoadUnsafe(ref pa, (nuint)i + 24), Vector256.LoadUnsafe(ref pu, (nuint)i + 24)));
                Vector256.Narrow(Vector256.Narrow(c0, c1), Vector256.Narrow(c2, c3)).StoreUnsafe(ref pq, (nuint)i);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                var c0 = Vector128.ConvertToInt32(op.Invoke(Vector128.LoadUnsafe(ref pa, (nuint)i), Vector128.LoadUnsafe(ref pu, (nuint)i)));
                var c1 = Vector128.ConvertToInt32(op.Invoke(Vector128.LoadUnsafe(ref pa, (nuint)i + 4), Vector128.LoadUnsafe(ref pu, (nuint)i + 4)));
                var c2 = Vector128.ConvertToInt32(op.Invoke(Vector128.LoadUnsafe(ref pa, (nuint)i + 8), Vector128.LoadUnsafe(ref pu, (nuint)i + 8)));
                var c3 = Vector128.ConvertToInt32(op.Invoke(Vector128.LoadUnsafe(ref pa, (nuint)i + 12), Vector128.LoadUnsafe(ref pu, (nuint)i + 12)));
                Vector128.Narrow(Vector128.Narrow(c0, c1), Vector128.Narrow(c2, c3)).StoreUnsafe(ref pq, (nuint)i);
            }
        }
        for (; i < n; i++) q[i] = (sbyte)op.Invoke(a[i], u[i]);
    }

    /// <summary>a[i] = q[i] · scale, widening sbyte → short → int → float; steps down 512 → 256 → 128 → scalar.</summary>
    [MethodImpl(Inlining.HotPath)]
    private static void Widen(ReadOnlySpan<sbyte> q, float scale, Span<float> a)
    {
        ref sbyte pq = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(q);
        ref float pa = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a);
        int n = q.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 64 <= n; i += 64)
            {
                var (s0, s1) = Vector512.Widen(Vector512.LoadUnsafe(ref pq, (nuint)i));
                var (c0, c1) = Vector512.Widen(s0);
                var (c2, c3) = Vector512.Widen(s1);
                (Vector512.ConvertToSingle(c0) * scale).StoreUnsafe(ref pa, (nuint)i);
                (Vector512.ConvertToSingle(c1) * scale).StoreUnsafe(ref pa, (nuint)i + 16);
                (Vector512.ConvertToSingle(c2) * scale).StoreUnsafe(ref pa, (nuint)i + 32);
                (Vector512.ConvertToSingle(c3) * scale).StoreUnsafe(ref pa, (nuint)i + 48);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= n; i += 32)
            {
                var (s0, s1) = Vector256.Widen(Vector256.LoadUnsafe(ref pq, (nuint)i));
                var (c0, c1) = Vector256.Widen(s0);
                var (c2, c3) = Vector256.Widen(s1);
                (Vector256.ConvertToSingle(c0) * scale).StoreUnsafe(ref pa, (nuint)i);
                (Vector256.ConvertToSingle(c1) * scale).StoreUnsafe(ref pa, (nuint)i + 8);
                (Vector256.ConvertToSingle(c2) * scale).StoreUnsafe(ref pa, (nuint)i + 16);
                (Vector256.ConvertToSingle(c3) * scale).StoreUnsafe(ref pa, (nuint)i + 24);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                var (s0, s1) = Vector128.Widen(Vector128.LoadUnsafe(ref pq, (nuint)i));
                var (c0, c1) = Vector128.Widen(s0);
                var (c2, c3) = Vector128.Widen(s1);
                (Vector128.ConvertToSingle(c0) * scale).StoreUnsafe(ref pa, (nuint)i);
                (Vector128.ConvertToSingle(c1) * scale).StoreUnsafe(ref pa, (nuint)i + 4);
                (Vector128.ConvertToSingle(c2) * scale).StoreUnsafe(ref pa, (nuint)i + 8);
                (Vector128.ConvertToSingle(c3) * scale).StoreUnsafe(ref pa, (nuint)i + 12);
            }
        }
        for (; i < n; i++) a[i] = q[i] * scale;
    }
}
