using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NanoFed.Kernels;

/// <summary>
/// One lane width's vector operations (TV holds <see cref="Count"/> floats), for kernels written once over every width
/// and run at 512, 256 and 128 bits and on scalars. Every operation is one IEEE operation per lane, the same on every
/// path (fused multiply-adds included), so a kernel's bits depend neither on the vector width nor on where a row's
/// vector part ends.
/// </summary>
internal unsafe interface ILanes<TV> where TV : unmanaged
{
    static abstract int Count { get; }
    static abstract TV Zero { get; }
    static abstract TV Create(float value);
    static abstract TV Load(float* p);
    static abstract void Store(float* p, TV v);

    /// <summary>a·b + c, fused (one rounding), on every path.</summary>
    static abstract TV MultiplyAdd(TV a, float b, TV c);

    /// <summary>a·b + c, fused (one rounding), on every path.</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);

    static abstract TV Add(TV a, TV b);
    static abstract TV Subtract(TV a, TV b);
    static abstract TV Multiply(TV a, TV b);
    static abstract TV Divide(TV a, TV b);

    /// <summary>The smaller of a and b, NaN if either is (Math.Min's rule, on every path).</summary>
    static abstract TV Min(TV a, TV b);

    /// <summary>The larger of a and b, NaN if either is (Math.Max's rule, on every path).</summary>
    static abstract TV Max(TV a, TV b);

    /// <summary>2ⁿ for t = 1.5·2²³ + n with n an integer in [−126, 128] (2¹²⁸ is +∞): n moved into a float's exponent field.</summary>
    static abstract TV Pow2OfRounded(TV t);
}

/// <summary>A vectorized loop over [start, end): handles items in groups of TL.Count and returns where it stopped.</summary>
internal interface ILanesJob
{
    int Run<TL, TV>(int start, int end) where TL : struct, ILanes<TV> where TV : unmanaged;
}

/// <summary>The drivers and functions written once over <see cref="ILanes{TV}"/>.</summary>
internal static class Lanes
{
    /// <summary>Runs job over [0, count): widest accelerated lanes first (at most maxLanes), then narrower, then scalar.</summary>
    public static void Run<TJob>(ref TJob job, int count, int maxLanes) where TJob : struct, ILanesJob
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated && maxLanes >= 16) i = job.Run<Lanes512, Vector512<float>>(i, count);
        if (Vector256.IsHardwareAccelerated && maxLanes >= 8) i = job.Run<Lanes256, Vector256<float>>(i, count);
        if (Vector128.IsHardwareAccelerated && maxLanes >= 4) i = job.Run<Lanes128, Vector128<float>>(i, count);
        job.Run<LanesScalar, float>(i, count);
    }

    // e^a = 2^k · e^r with k = round(a·log2 e) and r = a − k·ln 2 in [−ln2/2, ln2/2] (Cody and Waite: ln 2 in two
    // parts, the first exact in few bits); e^r by its Taylor polynomial to degree 7, whose truncation error (below
    // 6e-9 relative) is under half an ulp.
    private const float Log2E = 1.44269504f, Ln2High = 0.693359375f, Ln2Low = -2.12194440e-4f, RoundingShift = 12582912f;
    private const float MinExponent = -87f, MaxExponent = 89f;

    /// <summary>
    /// 1 / (1 + e^(−z)) per lane, within a few ulps of the exact value, the same bits on every path. −z is clamped to
    /// [−87, 89], where 2^k is a normal float or, from k = 128 (z below about −88.4), +∞: s is exactly 1 from z = 87
    /// up and exactly 0 below −88.4, as 1 / (1 + MathF.Exp(−z)) saturates.
    /// </summary>
    [MethodImpl(Inlining.ShortMethod)]
    public static TV Sigmoid<TL, TV>(TV z) where TL : struct, ILanes<TV> where TV : unmanaged
    {
        TV a = TL.Min(TL.Max(TL.Subtract(TL.Zero, z), TL.Create(MinExponent)), TL.Create(MaxExponent));
        TV t = TL.MultiplyAdd(a, TL.Create(Log2E), TL.Create(RoundingShift));
        TV k = TL.Subtract(t, TL.Create(RoundingShift));
        TV r = TL.MultiplyAdd(k, TL.Create(-Ln2High), a);
        r = TL.MultiplyAdd(k, TL.Create(-Ln2Low), r);
        TV p = TL.Create(1f / 5040);
        p = TL.MultiplyAdd(p, r, TL.Create(1f / 720));
        p = TL.MultiplyAdd(p, r, TL.Create(1f / 120));
        p = TL.MultiplyAdd(p, r, TL.Create(1f / 24));
        p = TL.MultiplyAdd(p, r, TL.Create(1f / 6));
        p = TL.MultiplyAdd(p, r, TL.Create(0.5f));
        p = TL.MultiplyAdd(p, r, TL.Create(1f));
        p = TL.MultiplyAdd(p, r, TL.Create(1f));
        TV one = TL.Create(1f);
        return TL.Divide(one, TL.Add(one, TL.Multiply(p, TL.Pow2OfRounded(t))));
    }

    /// <summary>For t = 1.5·2²³ + n: t's bits minus this are n + 127, a float's biased exponent of 2ⁿ.</summary>
    internal const int Pow2Bias = 0x4B400000 - 127;
}

internal unsafe readonly struct Lanes512 : ILanes<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    public static Vector512<float> Create(float value) => Vector512.Create(value);
    public static Vector512<float> Load(float* p) => Vector512.Load(p);
    public static void Store(float* p, Vector512<float> v) => v.Store(p);
    public static Vector512<float> MultiplyAdd(Vector512<float> a, float b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, Vector512.Create(b), c);
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
    public static Vector512<float> Min(Vector512<float> a, Vector512<float> b) => Vector512.Min(a, b);
    public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    public static Vector512<float> Pow2OfRounded(Vector512<float> t) => Vector512.ShiftLeft(t.AsInt32() - Vector512.Create(Lanes.Pow2Bias), 23).AsSingle();
}

internal unsafe readonly struct Lanes256 : ILanes<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    public static Vector256<float> Create(float value) => Vector256.Create(value);
    public static Vector256<float> Load(float* p) => Vector256.Load(p);
    public static void Store(float* p, Vector256<float> v) => v.Store(p);
    public static Vector256<float> MultiplyAdd(Vector256<float> a, float b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, Vector256.Create(b), c);
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;
    public static Vector256<float> Min(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);
    public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    public static Vector256<float> Pow2OfRounded(Vector256<float> t) => Vector256.ShiftLeft(t.AsInt32() - Vector256.Create(Lanes.Pow2Bias), 23).AsSingle();
}

internal unsafe readonly struct Lanes128 : ILanes<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    public static Vector128<float> Create(float value) => Vector128.Create(value);
    public static Vector128<float> Load(float* p) => Vector128.Load(p);
    public static void Store(float* p, Vector128<float> v) => v.Store(p);
    public static Vector128<float> MultiplyAdd(Vector128<float> a, float b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, Vector128.Create(b), c);
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;
    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
    public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;
    public static Vector128<float> Min(Vector128<float> a, Vector128<float> b) => Vector128.Min(a, b);
    public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
    public static Vector128<float> Pow2OfRounded(Vector128<float> t) => Vector128.ShiftLeft(t.AsInt32() - Vector128.Create(Lanes.Pow2Bias), 23).AsSingle();
}

internal unsafe readonly struct LanesScalar : ILanes<float>
{
    public static int Count => 1;
    public static float Zero => 0;
    public static float Create(float value) => value;
    public static float Load(float* p) => *p;
    public static void Store(float* p, float v) => *p = v;
    public static float MultiplyAdd(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);
    public static float Add(float a, float b) => a + b;
    public static float Subtract(float a, float b) => a - b;
    public static float Multiply(float a, float b) => a * b;
    public static float Divide(float a, float b) => a / b;
    public static float Min(float a, float b) => MathF.Min(a, b);
    public static float Max(float a, float b) => MathF.Max(a, b);
    public static float Pow2OfRounded(float t) => BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(t) - Lanes.Pow2Bias) << 23);
}
