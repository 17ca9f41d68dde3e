using System.Runtime.CompilerServices;

namespace NanoFed.Kernels;

// What the block-wise Winograd F(2×2, 3×3) kernels of small channel counts share (Conv2d.WinogradWeight.cs,
// Conv2d.WinogradSmall.cs): the blocking of the batch into whole images, the input transform V = Bᵀ d B and the loop
// that drives their per-point products over the filters.
public static unsafe partial class Conv2d
{
    /// <summary>
    /// Floats of one block's transformed inputs and gradients (V and D of <see cref="WeightWinograd"/>, V and M of <see cref="ForwardWinogradSmall(float*, float*, float*, float*, in Conv2dGeometry, bool, bool, int)"/>): 512 KB, half
    /// of a 1 MB L2, so that the α² products of a block read them from cache (for forward: V and M).
    /// </summary>
    private const int WinogradBlockFloats = 1 << 17;

    /// <summary>
    /// The shape-only decisions of the block-wise F(2×2, 3×3) kernels (<see cref="WeightWinograd"/>,
    /// <see cref="ForwardWinogradSmall(float*, float*, float*, float*, in Conv2dGeometry, bool, bool, int)"/>): the tile grid, the padded planes and the block of images.
    /// </summary>
    private readonly struct WinogradBlockPlan
    {
        public int TilesW { get; init; }
        public int TilesPerImage { get; init; }
        public int BlockImages { get; init; }
        public int BlockTiles => BlockImages * TilesPerImage;

        /// <summary>
        /// Floats from one point's V (or D) of a block to the next, for <paramref name="channels"/> channels: a cache
        /// line more than the block needs, so that the 16 points' rows, written together by the transforms, do not sit
        /// a multiple of 4 KB apart (which made them evict each other from L1: the transforms ran 2× slower).
        /// </summary>
        public int PointStride(int channels) => BlockTiles * channels + 16;

        /// <summary>Channel-last padded x: rows and columns (the tile grid's reach plus the border), as forward's Winograd.</summary>
        public int PaddedH { get; init; }

        public int PaddedW { get; init; }

        /// <summary>Channel-last dY at offset 1 (as x), zero past P×Q up to the tile grid.</summary>
        public int GradH { get; init; }

        public int GradW { get; init; }

        /// <summary>
        /// Whether one image's transforms take at most 4 blocks' worth (<see cref="WinogradBlockFloats"/>): a block holds
        /// at least one image, so larger planes (beyond about 64×64 at 16 channels) would leave L2 far behind.
        /// </summary>
        public static bool FitsOneImage(in Conv2dGeometry g) =>
            16L * ((g.P + 1) / 2) * ((g.Q + 1) / 2) * (g.C + g.K) <= 4L * WinogradBlockFloats;

        public static WinogradBlockPlan Create(in Conv2dGeometry g, int count)
        {
            int tilesH = (g.P + 1) / 2, tilesW = (g.Q + 1) / 2, perImage = tilesH * tilesW;
            int images = Math.Clamp(WinogradBlockFloats / (16 * (g.C + g.K) * perImage), 1, Math.Max(1, count));
            return new WinogradBlockPlan
            {
                TilesW = tilesW, TilesPerImage = perImage, BlockImages = images,
                PaddedH = 2 * tilesH + 2, PaddedW = 2 * tilesW + 2, GradH = 2 * tilesH + 1, GradW = 2 * tilesW + 1,
            };
        }

        /// <summary>Image (within the block), tile row and tile column of block tile <paramref name="t"/>.</summary>
        [MethodImpl(Inlining.ShortMethod)]
        public void Origin(int t, out int n, out int th, out int tw)
        {
            n = t / TilesPerImage;
            int r = t - n * TilesPerImage;
            th = r / TilesW;
            tw = r - th * TilesW;
        }
    }

    /// <summary>V[ξ][t][c] = (Bᵀ d B)[ξ] of the 4×4 input tile d of block tile t, by adds, vectorized over c.</summary>
    private struct WinogradBlockInputJob : ILanesJob
    {
        public float* Xt, V;
        public WinogradBlockPlan Plan;
        public int Tiles, C;

        [MethodImpl(Inlining.HotPath)]
        public readonly int Run<TL, TV>(int c, int end) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            int L = TL.Count, stop = c + (end - c) / L * L, wp = Plan.PaddedW, tilesW = Plan.TilesW;
            long point = Plan.PointStride(C), row = (long)wp * C, image = (long)Plan.PaddedH * wp * C;
            if (stop == c) return c;
            for (int j = 0; j < Tiles; j++)
            {
                Plan.Origin(j, out int n, out int th, out int tw);
                float* src = Xt + n * image + (2L * th * wp + 2 * tw) * C;
                float* dst = V + (long)j * C;
                for (int cb = c; cb < stop; cb += L)
                {
                    // Bᵀ d, one tile column at a time; then (Bᵀ d) B, one row at a time.
                    float* col = src + cb;
                    BtColumn<TL, TV>(col, row, out TV a0, out TV b0, out TV c0, out TV d0);
                    BtColumn<TL, TV>(col + C, row, out TV a1, out TV b1, out TV c1, out TV d1);
                    BtColumn<TL, TV>(col + 2 * C, row, out TV a2, out TV b2, out TV c2, out TV d2);
                    BtColumn<TL, TV>(col + 3 * C, row, out TV a3, out TV b3, out TV c3, out TV d3);
                    BtRow<TL, TV>(a0, a1, a2, a3, dst + cb, point);
                    BtRow<TL, TV>(b0, b1, b2, b3, dst + cb + 4 * point, point);
                    BtRow<TL, TV>(c0, c1, c2, c3, dst + cb + 8 * point, point);
                    BtRow<TL, TV>(d0, d1, d2, d3, dst + cb + 12 * point, point);
                }
            }
            return stop;
        }

        /// <summary>Bᵀ x of the column x0..x3 (at col, col + row, ...): x0 − x2, x1 + x2, x2 − x1, x1 − x3.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void BtColumn<TL, TV>(float* col, long row, out TV y0, out TV y1, out TV y2, out TV y3)
            where TL : struct, ILanes<TV> where TV : unmanaged
        {
            TV x0 = TL.Load(col), x1 = TL.Load(col + row), x2 = TL.Load(col + 2 * row), x3 = TL.Load(col + 3 * row);
            y0 = TL.Subtract(x0, x2);
            y1 = TL.Add(x1, x2);
            y2 = TL.Subtract(x2, x1);
            y3 = TL.Subtract(x1, x3);
        }

        /// <summary>The same on a row, stored at dst, dst + point, ... (four consecutive points ξ).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void BtRow<TL, TV>(TV x0, TV x1, TV x2, TV x3, float* dst, long point) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            TL.Store(dst, TL.Subtract(x0, x2));
            TL.Store(dst + point, TL.Add(x1, x2));
            TL.Store(dst + 2 * point, TL.Subtract(x2, x1));
            TL.Store(dst + 3 * point, TL.Subtract(x1, x3));
        }
    }

    /// <summary>
    /// The products of a block-wise Winograd kernel at one of the 16 points ξ, vectorized over the filters k: a register
    /// block of <see cref="BlockRows"/> rows (tiles or channels) by 2 vectors of filters, and one row by one vector for
    /// the edges.
    /// </summary>
    private interface IWinogradPointProduct
    {
        static abstract int BlockRows { get; }
        int Rows { get; }
        void Block<TL, TV>(int xi, int row, int k) where TL : struct, ILanes<TV> where TV : unmanaged;
        void Single<TL, TV>(int xi, int row, int k) where TL : struct, ILanes<TV> where TV : unmanaged;
    }

    /// <summary>Runs a point product over filters [k, end) of every point and row: 2 vectors of filters at a time, then 1.</summary>
    private struct WinogradProductJob<TP> : ILanesJob where TP : struct, IWinogradPointProduct
    {
        public TP Product;

        [MethodImpl(Inlining.HotPath)]
        public int Run<TL, TV>(int k, int end) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            int L = TL.Count;
            for (; k + 2 * L <= end; k += 2 * L) Columns<TL, TV>(k, 2);
            if (k + L <= end)
            {
                Columns<TL, TV>(k, 1);
                k += L;
            }
            return k;
        }

        /// <summary>Filters [k, k + vectors·L) of every point and row.</summary>
        [MethodImpl(Inlining.HotPath)]
        private void Columns<TL, TV>(int k, int vectors) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            int L = TL.Count, rows = Product.Rows;
            for (int xi = 0; xi < 16; xi++)
            {
                int r = 0;
                if (vectors == 2)
                    for (; r + TP.BlockRows <= rows; r += TP.BlockRows) Product.Block<TL, TV>(xi, r, k);
                for (; r < rows; r++)
                    for (int e = 0; e < vectors; e++) Product.Single<TL, TV>(xi, r, k + e * L);
            }
        }
    }
}
