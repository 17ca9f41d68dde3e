using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NanoFed.Kernels;

/// <summary>
/// An element-wise operator of one input (dotnet's IUnaryOperator shape): the same function at every width.
/// Implemented by readonly structs; instance members so that an operator can carry parameters (a scale).
/// Every width must compute exactly the same IEEE operations in the same order as <see cref="Invoke(float)"/>,
/// so results are bit-identical on every ISA.
/// </summary>
public interface IUnaryOperator
{
    /// <summary>One element.</summary>
    float Invoke(float x);

    /// <summary>Four elements.</summary>
    Vector128<float> Invoke(Vector128<float> x);

    /// <summary>Eight elements.</summary>
    Vector256<float> Invoke(Vector256<float> x);

    /// <summary>Sixteen elements.</summary>
    Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>An element-wise operator of two inputs (see <see cref="IUnaryOperator"/>).</summary>
public interface IBinaryOperator
{
    /// <summary>One element.</summary>
    float Invoke(float a, float b);

    /// <summary>Four elements.</summary>
    Vector128<float> Invoke(Vector128<float> a, Vector128<float> b);

    /// <summary>Eight elements.</summary>
    Vector256<float> Invoke(Vector256<float> a, Vector256<float> b);

    /// <summary>Sixteen elements.</summary>
    Vector512<float> Invoke(Vector512<float> a, Vector512<float> b);
}

/// <summary>An element-wise operator of three inputs (see <see cref="IUnaryOperator"/>).</summary>
public interface ITernaryOperator
{
    /// <summary>One element.</summary>
    float Invoke(float a, float b, float c);

    /// <summary>Four elements.</summary>
    Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> c);

    /// <summary>Eight elements.</summary>
    Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c);

    /// <summary>Sixteen elements.</summary>
    Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c);
}

/// <summary>
/// The shared drivers, one per arity: destination[i] = op(inputs[i]), and one reduction, <see cref="Sum{TOp}"/>. They validate lengths, then step one
/// offset down through the widths (ImageSharp): 512 while 16 elements remain, then 256, 128, then scalar.
/// Stepping down (rather than an overlapping last vector) reads every element before writing it exactly once,
/// so the destination may alias any input (in-place and accumulate forms such as dX = dX + dY).
/// Serial: element-wise work is memory-bound and 2 cores gain little; callers parallelise at a coarser level.
/// </summary>
public static class ElementWise
{
    /// <summary>destination[i] = op(x[i]).</summary>
    [MethodImpl(Inlining.HotPath)]
    public static void Unary<TOp>(in TOp op, ReadOnlySpan<float> x, Span<float> destination)
        where TOp : struct, IUnaryOperator
    {
        CheckLength(x.Length, destination.Length, "x");
        ref float xr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        ref float dr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(destination);
        nuint n = (nuint)x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
                op.Invoke(Vector512.LoadUnsafe(ref xr, i)).StoreUnsafe(ref dr, i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
                op.Invoke(Vector256.LoadUnsafe(ref xr, i)).StoreUnsafe(ref dr, i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 4 <= n; i += 4)
                op.Invoke(Vector128.LoadUnsafe(ref xr, i)).StoreUnsafe(ref dr, i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref dr, i) = op.Invoke(Unsafe.Add(ref xr, i));
    }

    /// <summary>destination[i] = op(a[i], b[i]).</summary>
    [MethodImpl(Inlining.HotPath)]
    public static void Binary<TOp>(in TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> destination)
        where TOp : struct, IBinaryOperator
    {
        CheckLength(a.Length, destination.Length, "a");
        CheckLength(b.Length, destination.Length, "b");
        ref float ar = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a);
        ref float br = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(b);
        ref float dr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(destination);
        nuint n = (nuint)a.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
                op.Invoke(Vector512.LoadUnsafe(ref ar, i), Vector512.LoadUnsafe(ref br, i)).StoreUnsafe(ref dr, i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
                op.Invoke(Vector256.LoadUnsafe(ref ar, i), Vector256.LoadUnsafe(ref br, i)).StoreUnsafe(ref dr, i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 4 <= n; i += 4)
                op.Invoke(Vector128.LoadUnsafe(ref ar, i), Vector128.LoadUnsafe(ref br, i)).StoreUnsafe(ref dr, i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref dr, i) = op.Invoke(Unsafe.Add(ref ar, i), Unsafe.Add(ref br, i));
    }

    /// <summary>destination[i] = op(a[i], b[i], c[i]).</summary>
    [MethodImpl(Inlining.HotPath)]
    public static void Ternary<TOp>(in TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> destination)
        where TOp : struct, ITernaryOperator
    {
        CheckLength(a.Length, destination.Length, "a");
        CheckLength(b.Length, destination.Length, "b");
        CheckLength(c.Length, destination.Length, "c");
        ref float ar = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a);
        ref float br = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(b);
        ref float cr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(c);
        ref float dr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(destination);
        nuint n = (nuint)a.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
                op.Invoke(Vector512.LoadUnsafe(ref ar, i), Vector512.LoadUnsafe(ref br, i), Vector512.LoadUnsafe(ref cr, i)).StoreUnsafe(ref dr, i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
                op.Invoke(Vector256.LoadUnsafe(ref ar, i), Vector256.LoadUnsafe(ref br, i), Vector256.LoadUnsafe(ref cr, i)).StoreUnsafe(ref dr, i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 4 <= n; i += 4)
                op.Invoke(Vector128.LoadUnsafe(ref ar, i), Vector128.LoadUnsafe(ref br, i), Vector128.LoadUnsafe(ref cr, i)).StoreUnsafe(ref dr, i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref dr, i) = op.Invoke(Unsafe.Add(ref ar, i), Unsafe.Add(ref br, i), Unsafe.Add(ref cr, i));
    }

    /// <summary>
    /// Returns Σ op(a[i], b[i]), bit-identical on every ISA (STYLE rule 12): 16 fixed logical lanes, emulated by
    /// one Vector512, two Vector256, four Vector128 or sixteen scalars, so every lane sees the same additions in
    /// the same order; lane j takes the elements i ≡ j (mod 16) of the full blocks of 16, then the tail element
    /// full + j; a fixed tree (8, 4, 2, 1) adds the lanes. Accumulates in float: meant for rows of up to a few
    /// thousand values (callers add rows in double).
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    public static unsafe float Sum<TOp>(in TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
        where TOp : struct, IBinaryOperator
    {
        CheckLength(b.Length, a.Length, "b");
        float* lanes = stackalloc float[16];
        int length = a.Length, full = length & ~15, i = 0;
        ref float ar = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a);
        ref float br = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(b);
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512<float>.Zero;
            for (; i < full; i += 16) s += op.Invoke(Vector512.LoadUnsafe(ref ar, (nuint)i), Vector512.LoadUnsafe(ref br, (nuint)i));
            s.Store(lanes);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> s0 = default, s1 = default;
            for (; i < full; i += 16)
            {
                s0 += op.Invoke(Vector256.LoadUnsafe(ref ar, (nuint)i), Vector256.LoadUnsafe(ref br, (nuint)i));
                s1 += op.Invoke(Vector256.LoadUnsafe(ref ar, (nuint)i + 8), Vector256.LoadUnsafe(ref br, (nuint)i + 8));
            }
            s0.Store(lanes);
            s1.Store(lanes + 8);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; i < full; i += 16)
            {
                s0 += op.Invoke(Vector128.LoadUnsafe(ref ar, (nuint)i), Vector128.LoadUnsafe(ref br, (nuint)i));
                s1 += op.Invoke(Vector128.LoadUnsafe(ref ar, (nuint)i + 4), Vector128.LoadUnsafe(ref br, (nuint)i + 4));
                s2 += op.Invoke(Vector128.LoadUnsafe(ref ar, (nuint)i + 8), Vector128.LoadUnsafe(ref br, (nuint)i + 8));
                s3 += op.Invoke(Vector128.LoadUnsafe(ref ar, (nuint)i + 12), Vector128.LoadUnsafe(ref br, (nuint)i + 12));
            }
            s0.Store(lanes);
            s1.Store(lanes + 4);
            s2.Store(lanes + 8);
            s3.Store(lanes + 12);
        }
        else
        {
            for (int j = 0; j < 16; j++) lanes[j] = 0;
            for (; i < full; i += 16)
            {
                for (int j = 0; j < 16; j++) lanes[j] += op.Invoke(a[i + j], b[i + j]);
            }
        }
        for (int j = 0; full + j < length; j++) lanes[j] += op.Invoke(a[full + j], b[full + j]);
        for (int width = 8; width >= 1; width >>= 1)
        {
            for (int j = 0; j < width; j++) lanes[j] += lanes[j + width];
        }
        return lanes[0];
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming both lengths unless <paramref name="input"/> equals <paramref name="destination"/>.</summary>
    internal static void CheckLength(int input, int destination, string name)
    {
        if (input != destination) Throw(input, destination, name);
    }

    [MethodImpl(Inlining.ColdPath)]
    private static void Throw(int input, int destination, string name) =>
        throw new ArgumentException($"element-wise kernel: input {name} has {input} elements but the destination has {destination}", name);
}
