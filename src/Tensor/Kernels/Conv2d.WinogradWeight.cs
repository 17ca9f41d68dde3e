using System.Runtime.CompilerServices;

namespace NanoFed.Kernels;

public static unsafe partial class Conv2d
{
    /// <summary>
    /// Whether backward-weight runs Winograd F(2×2, 3×3) (<see cref="WeightWinograd"/>): a 3×3, stride-1, pad-1
    /// convolution of 16 to 64 input and output channels on planes up to about 64×64
    /// (<see cref="WinogradBlockPlan.FitsOneImage"/>), on an AVX2 machine without AVX-512 (where the lanes kernel
    /// takes these shapes). Measured there against the direct and pixel-major kernels it replaces (docs/performance.md,
    /// "The measurements behind the kernels' choices").
    /// </summary>
    internal static bool UseWinogradWeight(in Conv2dGeometry g) =>
        LanesOnAvx2 && g.R == 3 && g.S == 3 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 1 && g.PadW == 1
        && g.C >= 16 && g.C <= 64 && g.K >= 16 && g.K <= 64 && WinogradBlockPlan.FitsOneImage(g);

    /// <summary>
    /// Scratch floats of <see cref="WeightWinograd"/> for up to <paramref name="count"/> images: M, then one block's
    /// V, D and its channel-last padded x and dY.
    /// </summary>
    private static int WinogradWeightScratch(in Conv2dGeometry g, int count)
    {
        var p = WinogradBlockPlan.Create(g, count);
        return 16 * g.C * g.K + 16 * (p.PointStride(g.C) + p.PointStride(g.K)) + p.BlockImages * (p.PaddedH * p.PaddedW * g.C + p.GradH * p.GradW * g.K);
    }

    /// <summary>
    /// dW (K, C, 3, 3) gets (when <paramref name="overwrite"/>) or accumulates the filter gradient of images
    /// [0, <paramref name="count"/>) of x and dY by Winograd F(2×2, 3×3) (Lavin and Gray, arXiv:1509.09308), the
    /// transpose of forward's y = Aᵀ[(G w Gᵀ) ⊙ (Bᵀ d B)]A: with the output cut into 2×2 tiles (dY zero past P×Q),
    /// dW[k, c] = Gᵀ (Σ_tiles (A dy Aᵀ)[k] ⊙ (Bᵀ d B)[c]) G, 16 products per tile where the direct sum takes 36.
    /// The images go in blocks of whole images (<see cref="WinogradBlockFloats"/>): copied channel-last, then
    /// V[ξ][t][c] = (Bᵀ d B)[ξ] and D[ξ][t][k] = (A dy Aᵀ)[ξ] for every tile t of the block, then
    /// M[ξ][c][k] += Σ_t V[ξ][t][c]·D[ξ][t][k], one FMA chain per element over the images' tiles in order. Each vector
    /// path runs the same operations per lane as the scalar one (<paramref name="maxLanes"/> caps the lanes, for
    /// tests), so the bits never depend on the machine's vector width or on the thread count.
    /// <paramref name="scratch"/> holds <see cref="WinogradWeightScratch"/> floats.
    /// </summary>
    internal static void WeightWinograd(float* x, float* dy, int count, float* dw, in Conv2dGeometry g, bool overwrite, float* scratch,
        int maxLanes = int.MaxValue)
    {
        var plan = WinogradBlockPlan.Create(g, count);
        int C = g.C, K = g.K;
        float* m = scratch, v = m + 16 * C * K, d = v + 16 * plan.PointStride(C);
        float* xt = d + 16 * plan.PointStride(K), dyt = xt + plan.BlockImages * plan.PaddedH * plan.PaddedW * C;
        new Span<float>(m, 16 * C * K).Clear();
        long chw = (long)C * g.H * g.W, kpq = (long)K * g.P * g.Q;
        for (int first = 0; first < count; first += plan.BlockImages)
        {
            int images = Math.Min(plan.BlockImages, count - first), tiles = images * plan.TilesPerImage;
            for (int i = 0; i < images; i++)
            {
                PadTranspose(x + (first + i) * chw, xt + (long)i * plan.PaddedH * plan.PaddedW * C, C, g.H, g.W, plan.PaddedH, plan.PaddedW, 1, 1);
                PadTranspose(dy + (first + i) * kpq, dyt + (long)i * plan.GradH * plan.GradW * K, K, g.P, g.Q, plan.GradH, plan.GradW, 1, 1);
            }
            var input = new WinogradBlockInputJob { Xt = xt, V = v, Plan = plan, Tiles = tiles, C = C };
            Lanes.Run(ref input, C, maxLanes);
            var grad = new WinogradWeightGradJob { Dyt = dyt, D = d, Plan = plan, Tiles = tiles, K = K };
            Lanes.Run(ref grad, K, maxLanes);
            var products = new WinogradProductJob<WinogradWeightProduct>
            {
                Product = new() { V = v, D = d, M = m, C = C, K = K, Tiles = tiles, VPoint = plan.PointStride(C), DPoint = plan.PointStride(K) },
            };
            Lanes.Run(ref products, K, maxLanes);
        }
        var output = new WinogradWeightOutputJob { M = m, DW = dw, C = C, K = K, Overwrite = overwrite };
        Lanes.Run(ref output, K, maxLanes);
    }

    /// <summary>
    /// <see cref="WeightWinograd"/> over the whole batch on spans, for tests: any 3×3, stride-1, pad-1 geometry, dW
    /// overwritten or accumulated, lanes capped at <paramref name="maxLanes"/>.
    /// </summary>
    internal static void BackwardWeightWinograd(ReadOnlySpan<float> x, ReadOnlySpan<float> dY, Span<float> dW, in Conv2dGeometry g,
        bool overwrite, int maxLanes = int.MaxValue)
    {
        g.CheckLengths("backward-weight", x.Length, dW.Length, 0, dY.Length);
        if (g.R != 3 || g.S != 3 || g.StrideH != 1 || g.StrideW != 1 || g.PadH != 1 || g.PadW != 1)
            throw new ArgumentException($"conv2d winograd backward-weight: needs a 3x3 stride-1 pad-1 geometry, got {g}");
        var scratch = new float[WinogradWeightScratch(g, g.N)];
        fixed (float* px = x, pdy = dY, pdw = dW, ps = scratch) WeightWinograd(px, pdy, g.N, pdw, g, overwrite, ps, maxLanes);
    }

    /// <summary>D[ξ][t][k] = (A dy Aᵀ)[ξ] of the 2×2 gradient tile dy of block tile t, by adds, vectorized over k.</summary>
    private struct WinogradWeightGradJob : ILanesJob
    {
        public float* Dyt, D;
        public WinogradBlockPlan Plan;
        public int Tiles, K;

        [MethodImpl(Inlining.HotPath)]
        public readonly int Run<TL, TV>(int k, int end) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            int L = TL.Count, stop = k + (end - k) / L * L, gw = Plan.GradW;
            long point = Plan.PointStride(K), row = (long)gw * K, image = (long)Plan.GradH * gw * K;
            if (stop == k) return k;
            for (int j = 0; j < Tiles; j++)
            {
                Plan.Origin(j, out int n, out int th, out int tw);
                float* src = Dyt + n * image + ((2L * th + 1) * gw + 2 * tw + 1) * K;
                float* dst = D + (long)j * K;
                for (int kb = k; kb < stop; kb += L)
                {
                    // A dy, one tile column at a time; then (A dy) Aᵀ, one row at a time.
                    AColumn<TL, TV>(src + kb, row, out TV a0, out TV b0, out TV c0, out TV d0);
                    AColumn<TL, TV>(src + K + kb, row, out TV a1, out TV b1, out TV c1, out TV d1);
                    ARow<TL, TV>(a0, a1, dst + kb, point);
                    ARow<TL, TV>(b0, b1, dst + kb + 4 * point, point);
                    ARow<TL, TV>(c0, c1, dst + kb + 8 * point, point);
                    ARow<TL, TV>(d0, d1, dst + kb + 12 * point, point);
                }
            }
            return stop;
        }

        /// <summary>A g of the column g0, g1 (at col, col + row): g0, g0 + g1, g0 − g1, −g1.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void AColumn<TL, TV>(float* col, long row, out TV y0, out TV y1, out TV y2, out TV y3)
            where TL : struct, ILanes<TV> where TV : unmanaged
        {
            TV g0 = TL.Load(col), g1 = TL.Load(col + row);
            y0 = g0;
            y1 = TL.Add(g0, g1);
            y2 = TL.Subtract(g0, g1);
            y3 = TL.Subtract(TL.Zero, g1);
        }

        /// <summary>The same on a row, stored at dst, dst + point, ... (four consecutive points ξ).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ARow<TL, TV>(TV g0, TV g1, float* dst, long point) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            TL.Store(dst, g0);
            TL.Store(dst + point, TL.Add(g0, g1));
            TL.Store(dst + 2 * point, TL.Subtract(g0, g1));
            TL.Store(dst + 3 * point, TL.Subtract(TL.Zero, g1));
        }
    }

    /// <summary>
    /// M[ξ][c][k] += Σ_t V[ξ][t][c]·D[ξ][t][k] over the block's tiles in order: 4 channels by 2 vectors of filters per
    /// register block (then single channels, and 1 vector at the edge), vectorized over k.
    /// </summary>
    private struct WinogradWeightProduct : IWinogradPointProduct
    {
        public float* V, D, M;
        public int C, K, Tiles, VPoint, DPoint;

        public static int BlockRows => 4;
        public readonly int Rows => C;

        /// <summary>Channels c..c+3 by filters k..k+2L at point ξ: 8 accumulators.</summary>
        [MethodImpl(Inlining.MicroKernel)]
        public readonly void Block<TL, TV>(int xi, int c, int k) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            int L = TL.Count;
            float* v = V + (long)xi * VPoint + c, d = D + (long)xi * DPoint + k, m = M + (long)xi * C * K + (long)c * K + k;
            float* m1 = m + K, m2 = m1 + K, m3 = m2 + K;
            TV a00 = TL.Load(m), a01 = TL.Load(m + L), a10 = TL.Load(m1), a11 = TL.Load(m1 + L);
            TV a20 = TL.Load(m2), a21 = TL.Load(m2 + L), a30 = TL.Load(m3), a31 = TL.Load(m3 + L);
            for (int t = 0; t < Tiles; t++, v += C, d += K)
            {
                TV d0 = TL.Load(d), d1 = TL.Load(d + L);
                a00 = TL.MultiplyAdd(d0, v[0], a00);
                a01 = TL.MultiplyAdd(d1, v[0], a01);
                a10 = TL.MultiplyAdd(d0, v[1], a10);
                a11 = TL.MultiplyAdd(d1, v[1], a11);
                a20 = TL.MultiplyAdd(d0, v[2], a20);
                a21 = TL.MultiplyAdd(d1, v[2], a21);
                a30 = TL.MultiplyAdd(d0, v[3], a30);
                a31 = TL.MultiplyAdd(d1, v[3], a31);
            }
            TL.Store(m, a00);
            TL.Store(m + L, a01);
            TL.Store(m1, a10);
            TL.Store(m1 + L, a11);
            TL.Store(m2, a20);
            TL.Store(m2 + L, a21);
            TL.Store(m3, a30);
            TL.Store(m3 + L, a31);
        }

        /// <summary>Channel c by one vector of filters from k at point ξ.</summary>
        [MethodImpl(Inlining.HotPath)]
        public readonly void Single<TL, TV>(int xi, int c, int k) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            float* v = V + (long)xi * VPoint + c, d = D + (long)xi * DPoint + k, m = M + (long)xi * C * K + (long)c * K + k;
            TV a = TL.Load(m);
            for (int t = 0; t < Tiles; t++, v += C, d += K) a = TL.MultiplyAdd(TL.Load(d), *v, a);
            TL.Store(m, a);
        }
    }

    /// <summary>dW[k, c] (+)= Gᵀ M[·][c][k] G, vectorized over k, scattered to (K, C, 3, 3).</summary>
    private struct WinogradWeightOutputJob : ILanesJob
    {
        public float* M, DW;
        public int C, K;
        public bool Overwrite;

        [MethodImpl(Inlining.HotPath)]
        public readonly int Run<TL, TV>(int k, int end) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            int L = TL.Count, stop = k + (end - k) / L * L;
            long point = (long)C * K;
            float* z = stackalloc float[12 * L], o = stackalloc float[9 * L];
            fixed (float* gt = GT2)
            {
                for (int c = 0; c < C; c++)
                    for (int kb = k; kb < stop; kb += L)
                    {
                        Transform2D<TL, TV>(gt, 3, 4, M + (long)c * K + kb, 4 * point, point, z, o, 3 * L, L);
                        for (int l = 0; l < L; l++)
                        {
                            float* dst = DW + ((long)(kb + l) * C + c) * 9;
                            for (int e = 0; e < 9; e++) dst[e] = Overwrite ? o[e * L + l] : dst[e] + o[e * L + l];
                        }
                    }
            }
            return stop;
        }
    }
}
