using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NanoFed.Kernels;

// The transforms of Winograd F(m×m, 3×3) (Conv2d.Winograd.cs): the matrices Bᵀ, G and Aᵀ, and T X Tᵀ on vectors
// of lanes, written once over ILanes (Lanes.cs).
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
}
