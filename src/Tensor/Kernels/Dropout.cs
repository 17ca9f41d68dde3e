using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NanoFed.Kernels;

/// <summary>
/// Inverted dropout (Srivastava et al., JMLR 2014, with the 1/(1 − p) scaling applied at training time, as PyTorch
/// does): a mask holds 0 for a dropped element and the scale 1/(1 − p) for a kept one, so y = x · mask and
/// dX += dY · mask. Element i is kept when u_i ≥ p, u_i being the i-th uniform ((w >> 8)·2^-24) of the stream
/// from its position: keep probability 1 − p up to the 2^-24 grid. p = 1 drops everything (mask all zero).
/// </summary>
public static class Dropout
{
    /// <summary>The factor kept elements are multiplied by: 1 / (1 − p), and 0 for p = 1.</summary>
    public static float Scale(float p)
    {
        CheckP(p);
        return p == 1 ? 0 : 1 / (1 - p);
    }

    /// <summary>Draws a mask: mask[i] = u_i ≥ p ? 1/(1 − p) : 0, consuming one word of <paramref name="rng"/> per element.</summary>
    public static void Mask(float p, RngStream rng, Span<float> mask)
    {
        ArgumentNullException.ThrowIfNull(rng);
        float scale = Scale(p);
        rng.FillUniform(mask);
        Select(mask, p, scale, mask);
    }

    /// <summary>Reference twin of <see cref="Mask"/>: one <see cref="RngStream.NextFloat"/> per element.</summary>
    public static void MaskReference(float p, RngStream rng, Span<float> mask)
    {
        ArgumentNullException.ThrowIfNull(rng);
        float scale = Scale(p);
        for (int i = 0; i < mask.Length; i++) mask[i] = rng.NextFloat() >= p ? scale : 0;
    }

    /// <summary>Turns a 0/1 keep pattern into a mask: mask[i] = keep[i] ≠ 0 ? 1/(1 − p) : 0.</summary>
    public static void MaskFromKeep(ReadOnlySpan<float> keep, float p, Span<float> mask)
    {
        CheckLengths(keep.Length, mask.Length);
        float scale = Scale(p);
        for (int i = 0; i < keep.Length; i++) mask[i] = keep[i] != 0 ? scale : 0;
    }

    /// <summary>y = x · mask (overwrites y). x, mask, y: any shape, same length.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> mask, Span<float> y)
    {
        CheckLengths(x.Length, mask.Length);
        CheckLengths(x.Length, y.Length);
        TensorPrimitives.Multiply(x, mask, y);
    }

    /// <summary>dX += dY · mask (accumulates; product rounded, then sum rounded, on every path).</summary>
    public static void Backward(ReadOnlySpan<float> dY, ReadOnlySpan<float> mask, Span<float> dX)
    {
        CheckLengths(dY.Length, mask.Length);
        CheckLengths(dY.Length, dX.Length);
        TensorPrimitives.MultiplyAdd(dY, mask, dX, dX);
    }

    /// <summary>mask[i] = u[i] ≥ p ? scale : 0 (u and mask may be the same span); 512 → 256 → 128 → scalar.</summary>
    [MethodImpl(Inlining.HotPath)]
    private static void Select(ReadOnlySpan<float> u, float p, float scale, Span<float> mask)
    {
        ref float pu = ref MemoryMarshal.GetReference(u);
        ref float pm = ref MemoryMarshal.GetReference(mask);
        int n = u.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vp = Vector512.Create(p);
            var vs = Vector512.Create(scale);
            for (; i + 16 <= n; i += 16)
                (Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref pu, (nuint)i), vp) & vs).StoreUnsafe(ref pm, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vp = Vector256.Create(p);
            var vs = Vector256.Create(scale);
            for (; i + 8 <= n; i += 8)
                (Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref pu, (nuint)i), vp) & vs).StoreUnsafe(ref pm, (nuint)i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var vp = Vector128.Create(p);
            var vs = Vector128.Create(scale);
            for (; i + 4 <= n; i += 4)
                (Vector128.GreaterThanOrEqual(Vector128.LoadUnsafe(ref pu, (nuint)i), vp) & vs).StoreUnsafe(ref pm, (nuint)i);
        }
        for (; i < n; i++) mask[i] = u[i] >= p ? scale : 0;
    }

    private static void CheckP(float p)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability must be in [0, 1], got {p}");
    }

    private static void CheckLengths(int a, int b)
    {
        if (a != b) throw new ArgumentException($"length mismatch: {a} vs {b}");
    }
}
