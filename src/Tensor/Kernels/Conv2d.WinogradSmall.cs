using System.Runtime.CompilerServices;
using NanoFed.Threading;

namespace NanoFed.Kernels;

public static unsafe partial class Conv2d
{
    /// <summary>
    /// Whether forward runs Winograd F(2×2, 3×3) in blocks of whole images with register-blocked products
    /// (<see cref="ForwardWinogradSmall(float*, float*, float*, float*, in Conv2dGeometry, bool, bool, int)"/>): a
    /// 3×3, stride-1, pad-1 convolution of 16 to 64 input channels and filters on an AVX2 machine without AVX-512, on
    /// planes of 16×16 to about 64×64 (ResNet's 16@32 and 32@16; <see cref="WinogradBlockPlan.FitsOneImage"/>) or
    /// where the lanes kernel does not run (batches under 32).
    /// Measured there against the direct and lanes kernels (docs/performance.md, "The measurements behind the kernels'
    /// choices"): faster than both on those shapes; on 8×8 planes (64@8) the lanes kernel keeps the shape (faster on
    /// one thread, even on two).
    /// </summary>
    internal static bool UseWinogradSmall(in Conv2dGeometry g) =>
        LanesOnAvx2 && g.R == 3 && g.S == 3 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 1 && g.PadW == 1
        && g.C >= 16 && g.C <= 64 && g.K >= 16 && g.K <= 64 && (g.H * g.W >= 256 || !UseWinogradLanes(g)) && WinogradBlockPlan.FitsOneImage(g);

    /// <summary>
    /// Winograd F(2×2, 3×3) (Lavin and Gray, arXiv:1509.09308) for few channels, where the channel-last kernel's GEMMs
    /// (<see cref="ForwardWinograd(float*, float*, float*, float*, in Conv2dGeometry, bool, int, int, bool)"/>) are too
    /// small to run well: the filters are transformed once, U[ξ][c][k] = (G w[k, c] Gᵀ)[ξ]; per block of whole images
    /// (<see cref="WinogradBlockPlan"/>, blocks in parallel, one thread each): the images are copied channel-last, then
    /// V[ξ][t][c] = (Bᵀ d B)[ξ] of every tile t, M[ξ][t][k] = Σ_c V[ξ][t][c]·U[ξ][c][k] (one FMA chain per element
    /// over c in order, 6 tiles by 2 vectors of filters in registers), Aᵀ M A of every tile channel-last, which is
    /// transposed back into y. Overwrites y (+ bias, then max(·, 0) when <paramref name="relu"/>), or adds into it when
    /// <paramref name="accumulate"/>. Each vector path runs the scalar path's operations per lane
    /// (<paramref name="maxLanes"/> caps the lanes, for tests), so the bits depend neither on the vector width nor on
    /// the thread count.
    /// </summary>
    internal static void ForwardWinogradSmall(float* x, float* w, float* bias, float* y, in Conv2dGeometry g, bool accumulate, bool relu,
        int maxLanes = int.MaxValue)
    {
        var plan = WinogradBlockPlan.Create(g, g.N);
        int uLength = 16 * g.C * g.K;
        var a = t_winogradU;
        if (a is null || a.Length < uLength) t_winogradU = a = GC.AllocateUninitializedArray<float>(uLength, pinned: true);
        fixed (float* u = a)
        {
            var filters = new WinogradFilterBody { W = w, U = u, Plan = WinogradPlan.Create(g, 2, maxLanes) };
            Workers.For(g.C, in filters);
            var body = new WinogradSmallBody
            {
                X = x, U = u, Bias = bias, Y = y, G = g, Plan = plan, Accumulate = accumulate, Relu = relu, MaxLanes = maxLanes,
            };
            int blocks = (g.N + plan.BlockImages - 1) / plan.BlockImages;
            if (blocks == 1) body.Invoke(0);
            else Workers.For(blocks, in body);
        }
    }

    /// <summary>
    /// <see cref="ForwardWinogradSmall(float*, float*, float*, float*, in Conv2dGeometry, bool, bool, int)"/> on spans,
    /// for tests: any 3×3, stride-1, pad-1 geometry.
    /// </summary>
    internal static void ForwardWinogradSmall(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y,
        in Conv2dGeometry g, bool accumulate, bool relu, int maxLanes = int.MaxValue)
    {
        g.CheckLengths("forward", x.Length, w.Length, bias.Length, y.Length);
        if (g.R != 3 || g.S != 3 || g.StrideH != 1 || g.StrideW != 1 || g.PadH != 1 || g.PadW != 1 || (accumulate && (!bias.IsEmpty || relu)))
            throw new ArgumentException($"conv2d winograd: needs a 3x3 stride-1 pad-1 geometry, and no bias or relu when accumulating, got {g}");
        fixed (float* px = x, pw = w, pb = bias, py = y) ForwardWinogradSmall(px, pw, bias.IsEmpty ? null : pb, py, g, accumulate, relu, maxLanes);
    }

    /// <summary>Scratch floats of one block of <see cref="ForwardWinogradSmall(float*, float*, float*, float*, in Conv2dGeometry, bool, bool, int)"/>: V, M, the channel-last x, the channel-last y and one image of y transposed back.</summary>
    private static long WinogradSmallScratch(in Conv2dGeometry g, in WinogradBlockPlan plan) =>
        16L * (plan.PointStride(g.C) + plan.PointStride(g.K))
        + (long)plan.BlockImages * (plan.PaddedH * plan.PaddedW * g.C + g.P * g.Q * g.K) + (long)g.P * g.Q * g.K;

    /// <summary>One block of whole images, on scratch owned by the thread.</summary>
    private struct WinogradSmallBody : IParallelBody
    {
        public float* X, U, Bias, Y;
        public Conv2dGeometry G;
        public WinogradBlockPlan Plan;
        public bool Accumulate, Relu;
        public int MaxLanes;

        public readonly void Invoke(int block)
        {
            var g = G;
            int C = g.C, K = g.K, pq = g.P * g.Q;
            int first = block * Plan.BlockImages, images = Math.Min(Plan.BlockImages, g.N - first), tiles = images * Plan.TilesPerImage;
            long chw = (long)C * g.H * g.W, plane = (long)Plan.PaddedH * Plan.PaddedW * C;
            fixed (float* scratch = ColScratch((int)WinogradSmallScratch(g, Plan)))
            {
                float* v = scratch, m = v + 16L * Plan.PointStride(C), xt = m + 16L * Plan.PointStride(K);
                float* yt = xt + Plan.BlockImages * plane, yk = yt + (long)Plan.BlockImages * pq * K;
                for (int i = 0; i < images; i++)
                    PadTranspose(X + (first + i) * chw, xt + i * plane, C, g.H, g.W, Plan.PaddedH, Plan.PaddedW, 1, 1);
                var input = new WinogradBlockInputJob { Xt = xt, V = v, Plan = Plan, Tiles = tiles, C = C };
                Lanes.Run(ref input, C, MaxLanes);
                var products = new WinogradProductJob<WinogradSmallProduct>
                {
                    Product = new() { V = v, U = U, M = m, C = C, K = K, Tiles = tiles, VPoint = Plan.PointStride(C), MPoint = Plan.PointStride(K) },
                };
                Lanes.Run(ref products, K, MaxLanes);
                var output = new WinogradSmallOutputJob { M = m, Yt = yt, Plan = Plan, Tiles = tiles, K = K, P = g.P, Q = g.Q };
                Lanes.Run(ref output, K, MaxLanes);
                bool plain = !Accumulate && Bias == null && !Relu;
                for (int i = 0; i < images; i++)
                {
                    // yt (P·Q × K) of image i back to (K × P·Q): straight into y, or through yk to y's rows (+ bias and ReLU, or added).
                    float* dst = Y + (long)(first + i) * K * pq;
                    PadTranspose(yt + (long)i * pq * K, plain ? dst : yk, pq, 1, K, 1, K, 0, 0);
                    if (plain) continue;
                    for (int k = 0; k < K; k++)
                        StoreOutputRow(new ReadOnlySpan<float>(yk + (long)k * pq, pq), new Span<float>(dst + (long)k * pq, pq),
                            Bias == null ? 0 : Bias[k], Accumulate, Relu);
                }
            }
        }
    }

    /// <summary>
    /// M[ξ][t][k] = Σ_c V[ξ][t][c]·U[ξ][c][k]: 6 tiles by 2 vectors of filters per register block (then single tiles,
    /// and 1 vector at the edge), vectorized over k.
    /// </summary>
    private struct WinogradSmallProduct : IWinogradPointProduct
    {
        public float* V, U, M;
        public int C, K, Tiles, VPoint, MPoint;

        public static int BlockRows => 6;
        public readonly int Rows => Tiles;

        /// <summary>Tiles t..t+5 by filters k..k+2L at point ξ: 12 accumulators.</summary>
        [MethodImpl(Inlining.MicroKernel)]
        public readonly void Block<TL, TV>(int xi, int t, int k) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            int L = TL.Count;
            float* v = V + (long)xi * VPoint + (long)t * C, u = U + (long)xi * C * K + k, m = M + (long)xi * MPoint + (long)t * K + k;
            float* v1 = v + C, v2 = v1 + C, v3 = v2 + C, v4 = v3 + C, v5 = v4 + C;
            TV a00 = TL.Zero, a01 = TL.Zero, a10 = TL.Zero, a11 = TL.Zero, a20 = TL.Zero, a21 = TL.Zero;
            TV a30 = TL.Zero, a31 = TL.Zero, a40 = TL.Zero, a41 = TL.Zero, a50 = TL.Zero, a51 = TL.Zero;
            for (int c = 0; c < C; c++, u += K)
            {
                TV u0 = TL.Load(u), u1 = TL.Load(u + L);
                a00 = TL.MultiplyAdd(u0, v[c], a00);
                a01 = TL.MultiplyAdd(u1, v[c], a01);
                a10 = TL.MultiplyAdd(u0, v1[c], a10);
                a11 = TL.MultiplyAdd(u1, v1[c], a11);
                a20 = TL.MultiplyAdd(u0, v2[c], a20);
                a21 = TL.MultiplyAdd(u1, v2[c], a21);
                a30 = TL.MultiplyAdd(u0, v3[c], a30);
                a31 = TL.MultiplyAdd(u1, v3[c], a31);
                a40 = TL.MultiplyAdd(u0, v4[c], a40);
                a41 = TL.MultiplyAdd(u1, v4[c], a41);
                a50 = TL.MultiplyAdd(u0, v5[c], a50);
                a51 = TL.MultiplyAdd(u1, v5[c], a51);
            }
            float* m1 = m + K, m2 = m1 + K, m3 = m2 + K, m4 = m3 + K, m5 = m4 + K;
            TL.Store(m, a00);
            TL.Store(m + L, a01);
            TL.Store(m1, a10);
            TL.Store(m1 + L, a11);
            TL.Store(m2, a20);
            TL.Store(m2 + L, a21);
            TL.Store(m3, a30);
            TL.Store(m3 + L, a31);
            TL.Store(m4, a40);
            TL.Store(m4 + L, a41);
            TL.Store(m5, a50);
            TL.Store(m5 + L, a51);
        }

        /// <summary>Tile t by one vector of filters from k at point ξ.</summary>
        [MethodImpl(Inlining.HotPath)]
        public readonly void Single<TL, TV>(int xi, int t, int k) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            float* v = V + (long)xi * VPoint + (long)t * C, u = U + (long)xi * C * K + k;
            TV a = TL.Zero;
            for (int c = 0; c < C; c++, u += K) a = TL.MultiplyAdd(TL.Load(u), v[c], a);
            TL.Store(M + (long)xi * MPoint + (long)t * K + k, a);
        }
    }

    /// <summary>
    /// yt[n][p][q][k] = (Aᵀ M A)[p − p0][q − q0] of every block tile (image n, origin p0, q0), by adds, clipped to
    /// P×Q, vectorized over k: yt is the block's output channel-last.
    /// </summary>
    private struct WinogradSmallOutputJob : ILanesJob
    {
        public float* M, Yt;
        public WinogradBlockPlan Plan;
        public int Tiles, K, P, Q;

        [MethodImpl(Inlining.HotPath)]
        public readonly int Run<TL, TV>(int k, int end) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            int L = TL.Count, stop = k + (end - k) / L * L;
            if (stop == k) return k;
            long point = Plan.PointStride(K), image = (long)P * Q * K;
            for (int j = 0; j < Tiles; j++)
            {
                Plan.Origin(j, out int n, out int th, out int tw);
                int p0 = 2 * th, q0 = 2 * tw;
                bool row1 = p0 + 1 < P, col1 = q0 + 1 < Q;
                float* src = M + (long)j * K;
                float* dst = Yt + n * image + ((long)p0 * Q + q0) * K;
                for (int kb = k; kb < stop; kb += L)
                {
                    // Aᵀ m, one tile column at a time (rows m0 + m1 + m2 and m1 − m2 − m3); then (Aᵀ m) A on both rows.
                    float* s = src + kb;
                    AtColumn<TL, TV>(s, 4 * point, out TV a0, out TV b0);
                    AtColumn<TL, TV>(s + point, 4 * point, out TV a1, out TV b1);
                    AtColumn<TL, TV>(s + 2 * point, 4 * point, out TV a2, out TV b2);
                    AtColumn<TL, TV>(s + 3 * point, 4 * point, out TV a3, out TV b3);
                    float* d = dst + kb;
                    TL.Store(d, TL.Add(TL.Add(a0, a1), a2));
                    if (col1) TL.Store(d + K, TL.Subtract(TL.Subtract(a1, a2), a3));
                    if (!row1) continue;
                    TL.Store(d + (long)Q * K, TL.Add(TL.Add(b0, b1), b2));
                    if (col1) TL.Store(d + (long)Q * K + K, TL.Subtract(TL.Subtract(b1, b2), b3));
                }
            }
            return stop;
        }

        /// <summary>Aᵀ of the column m0..m3 (at s, s + row, ...): m0 + m1 + m2 and m1 − m2 − m3.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void AtColumn<TL, TV>(float* s, long row, out TV y0, out TV y1) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            TV m0 = TL.Load(s), m1 = TL.Load(s + row), m2 = TL.Load(s + 2 * row), m3 = TL.Load(s + 3 * row);
            y0 = TL.Add(TL.Add(m0, m1), m2);
            y1 = TL.Subtract(TL.Subtract(m1, m2), m3);
        }
    }
}
