using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NanoFed.Kernels;

// The transforms of Winograd F(m×m, 3×3) (Conv2d.Winograd.cs): the matrices Bᵀ, G and Aᵀ, and T X Tᵀ on vectors
// of lanes, written once over ILanes and run at 512, 256 and 128 bits and on scalars.
public static unsafe partial class Conv2d
{
    // F(2×2, 3×3), interpolation points 0, 1, −1 and ∞.
    private static ReadOnlySpan<float> BT2 => [1, 0, -1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, 1, 0, -1];
    private static ReadOnlySpan<float> G2 => [1, 0, 0, 0.5f, 0.5f, 0.5f, 0.5f, -0.5f, 0.5f, 0, 0, 1];
    private static ReadOnlySpan<float> AT2 => [1, 1, 1, 0, 0, 1, -1, -1];

    /// <summary>Gᵀ (3 × α) of F(2×2, 3×3), for the filter gradient Gᵀ M G (Conv2d.WinogradWeight.cs).</summary>
    private static ReadOnlySpan<float> GT2 => [1, 0.5f, 0.5f, 0, 0, 0.5f, -0.5f, 0, 0, 0.5f, 0.5f, 1];

    // F(4×4, 3×3), interpolation points 0, ±1, ±2 and ∞ (Lavin and Gray, section 4.2).
    private static ReadOnlySpan<float> BT4 =>
    [
        4, 0, -5, 0, 1, 0,
        0, -4, -4, 1, 1, 0,
        0, 4, -4, -1, 1, 0,
        0, -2, -1, 2, 1, 0,
        0, 2, -1, -2, 1, 0,
        0, 4, 0, -5, 0, 1,
    ];

    private static ReadOnlySpan<float> G4 =>
    [
        1 / 4f, 0, 0,
        -1 / 6f, -1 / 6f, -1 / 6f,
        -1 / 6f, 1 / 6f, -1 / 6f,
        1 / 24f, 1 / 12f, 1 / 6f,
        1 / 24f, -1 / 12f, 1 / 6f,
        0, 0, 1,
    ];

    private static ReadOnlySpan<float> AT4 =>
    [
        1, 1, 1, 1, 1, 0,
        0, 1, -1, 2, -2, 0,
        0, 1, 1, 4, 4, 0,
        0, 1, -1, 8, -8, 1,
    ];

    /// <summary>
    /// dst = T X Tᵀ on vectors of lanes: X is cols × cols (element (i, j) at src + i·srcRow + j·srcCol), T is
    /// rows × cols (row-major), dst is rows × rows (element (a, b) at dst + a·dstRow + b·dstCol); z holds T X
    /// (rows × cols vectors). Every element is an FMA chain over increasing index from zero, the same on every path.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void Transform2D<TL, TV>(float* t, int rows, int cols, float* src, long srcRow, long srcCol, float* z,
        float* dst, long dstRow, long dstCol) where TL : struct, ILanes<TV> where TV : unmanaged
    {
        int L = TL.Count;
        for (int j = 0; j < cols; j++)
        {
            for (int a = 0; a < rows; a++)
            {
                TV acc = TL.Zero;
                for (int i = 0; i < cols; i++) acc = TL.MultiplyAdd(TL.Load(src + i * srcRow + j * srcCol), t[a * cols + i], acc);
                TL.Store(z + (a * cols + j) * L, acc);
            }
        }
        for (int a = 0; a < rows; a++)
        {
            for (int b = 0; b < rows; b++)
            {
                TV acc = TL.Zero;
                for (int j = 0; j < cols; j++) acc = TL.MultiplyAdd(TL.Load(z + (a * cols + j) * L), t[b * cols + j], acc);
                TL.Store(dst + a * dstRow + b * dstCol, acc);
            }
        }
    }

    /// <summary>A vectorized loop over [start, end): handles items in groups of TL.Count and returns where it stopped.</summary>
    private interface ILanesJob
    {
        int Run<TL, TV>(int start, int end) where TL : struct, ILanes<TV> where TV : unmanaged;
    }

    /// <summary>Runs job over [0, count): widest accelerated lanes first (at most maxLanes), then narrower, then scalar.</summary>
    private static void RunLanes<TJob>(ref TJob job, int count, int maxLanes) where TJob : struct, ILanesJob
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated && maxLanes >= 16) i = job.Run<Lanes512, Vector512<float>>(i, count);
        if (Vector256.IsHardwareAccelerated && maxLanes >= 8) i = job.Run<Lanes256, Vector256<float>>(i, count);
        if (Vector128.IsHardwareAccelerated && maxLanes >= 4) i = job.Run<Lanes128, Vector128<float>>(i, count);
        job.Run<LanesScalar, float>(i, count);
    }

    /// <summary>The vector operations the transforms use, for one lane width (TV holds <see cref="Count"/> floats).</summary>
    private interface ILanes<TV> where TV : unmanaged
    {
        static abstract int Count { get; }
        static abstract TV Zero { get; }
        static abstract TV Load(float* p);
        static abstract void Store(float* p, TV v);

        /// <summary>a·b + c, fused (one rounding), on every path.</summary>
        static abstract TV MultiplyAdd(TV a, float b, TV c);

        static abstract TV Add(TV a, TV b);

        static abstract TV Subtract(TV a, TV b);
    }

    private readonly struct Lanes512 : ILanes<Vector512<float>>
    {
        public static int Count => Vector512<float>.Count;
        public static Vector512<float> Zero => Vector512<float>.Zero;
        public static Vector512<float> Load(float* p) => Vector512.Load(p);
        public static void Store(float* p, Vector512<float> v) => v.Store(p);
        public static Vector512<float> MultiplyAdd(Vector512<float> a, float b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, Vector512.Create(b), c);
        public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
        public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    }

    private readonly struct Lanes256 : ILanes<Vector256<float>>
    {
        public static int Count => Vector256<float>.Count;
        public static Vector256<float> Zero => Vector256<float>.Zero;
        public static Vector256<float> Load(float* p) => Vector256.Load(p);
        public static void Store(float* p, Vector256<float> v) => v.Store(p);
        public static Vector256<float> MultiplyAdd(Vector256<float> a, float b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, Vector256.Create(b), c);
        public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
        public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    }

    private readonly struct Lanes128 : ILanes<Vector128<float>>
    {
        public static int Count => Vector128<float>.Count;
        public static Vector128<float> Zero => Vector128<float>.Zero;
        public static Vector128<float> Load(float* p) => Vector128.Load(p);
        public static void Store(float* p, Vector128<float> v) => v.Store(p);
        public static Vector128<float> MultiplyAdd(Vector128<float> a, float b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, Vector128.Create(b), c);
        public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
        public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;
    }

    private readonly struct LanesScalar : ILanes<float>
    {
        public static int Count => 1;
        public static float Zero => 0;
        public static float Load(float* p) => *p;
        public static void Store(float* p, float v) => *p = v;
        public static float MultiplyAdd(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);
        public static float Add(float a, float b) => a + b;
        public static float Subtract(float a, float b) => a - b;
    }
}
