using System.Runtime.CompilerServices;
using NanoFed.Threading;

namespace NanoFed.Kernels;

public static unsafe partial class Conv2d
{
    /// <summary>
    /// Most tiles per chunk. The GEMM's M is the chunk's tiles: up to 192 rows (16 micro-panels on AVX-512),
    /// <see cref="Gemm.Sgemm"/> reads the transformed filters U[ξ] in place instead of packing them again for every
    /// chunk (they are the large operand: 4 MB for C = K = 256). Measured, the GEMM phase of F(2×2) on one thread:
    /// 208 against 152 GFLOP/s with 96 tiles for 128→256@8, 220 against 187 for 256→256@8; 342 tiles gave no
    /// more. A chunk's V and M then take at most α²·(C + K)·192 floats (6 MB for C = K = 256), in L3.
    /// </summary>
    private const int WinogradMaxTiles = 192;

    /// <summary>Per-caller buffer of the transformed filters U (α², C, K).</summary>
    [ThreadStatic]
    private static float[]? t_winogradU;

    /// <summary>
    /// Whether forward runs channel-last Winograd F(2×2, 3×3) (where <see cref="UseWinogradLanes"/> does not take the
    /// shape first): a 3×3, stride-1, pad-1 convolution with at least 128 input and
    /// output channels and an output plane of at least 2×2, unless the direct kernel takes it (128 channels on
    /// planes of 16×16 and more, where Winograd measured even). Measured on one thread (CPU time, batch 128,
    /// best of 5, interleaved) against the direct or im2col kernel: 1.2× on VGG11's 128→256@8, 1.45× on 256→256@8,
    /// 1.4× on 256→512@4, 1.5× on 512→512@4 and 1.4× on 512→512@2; slower at 64 channels (ResNet-20's 64@8 and
    /// VGG11's 64→128@16: 1.2× and 1.25× slower). F(4×4, 3×3) was 1.1 to 1.4× faster still on the wide layers, but
    /// its float error (measured 3.5e-5 to 5e-5 of the output's RMS at C = 128 to 512, about 10× the direct
    /// kernel's; F(2×2)'s is below the direct kernel's) exceeds the 1e-4·(1 + |y|) that the tests and the bench's
    /// validation allow on inputs and filters in [−1, 1].
    /// </summary>
    private static bool UseWinograd(in Conv2dGeometry g) =>
        g.R == 3 && g.S == 3 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 1 && g.PadW == 1
        && g.C >= 128 && g.K >= 128 && g.P >= 2 && g.Q >= 2;

    /// <summary>
    /// Winograd F(m×m, 3×3) convolution (Lavin and Gray, arXiv:1509.09308) of a 3×3, stride-1, pad-1 geometry,
    /// with m = <paramref name="tile"/> (2 or 4) and α = m + 2. The filters are transformed once per call,
    /// U[ξ] (C × K) = (G g Gᵀ)[ξ] for each of the α² points ξ. The output is cut into m×m tiles, numbered
    /// (n, tile row, tile column); the tiles are cut into chunks that depend only on the shape. For each chunk:
    /// the chunk's images are copied channel-last and zero-padded, V[ξ] (tiles × C) = (Bᵀ d B)[ξ] of each α×α
    /// input tile d, then M[ξ] (tiles × K) = V[ξ]·U[ξ] by <see cref="Gemm.Sgemm"/>, then y = Aᵀ m A (+ bias) on
    /// each tile, clipped to P×Q. Chunks run in parallel, one thread each, so the result is bit-identical for any
    /// thread count. Transforms run on vectors of channels (C for the input, K for the filters and the output),
    /// widest accelerated lanes first, with the same FMA order on every path (Conv2d.Winograd.Transforms.cs).
    /// Overwrites y (then max(·, 0) when <paramref name="relu"/>), or adds into it when <paramref name="accumulate"/>
    /// (then bias must be null). <paramref name="maxLanes"/> caps the lane count (1: scalar only), for tests.
    /// </summary>
    internal static void ForwardWinograd(float* x, float* w, float* bias, float* y, in Conv2dGeometry g, bool accumulate,
        int tile, int maxLanes = int.MaxValue, bool relu = false)
    {
        var plan = WinogradPlan.Create(g, tile, maxLanes);
        int uLength = plan.Points * g.K * g.C;
        var a = t_winogradU;
        if (a is null || a.Length < uLength) t_winogradU = a = GC.AllocateUninitializedArray<float>(uLength, pinned: true);
        fixed (float* u = a)
        {
            var filters = new WinogradFilterBody { W = w, U = u, Plan = plan };
            Workers.For(g.C, in filters);
            var chunks = new WinogradChunkBody { X = x, U = u, Bias = bias, Y = y, Plan = plan, Accumulate = accumulate, Relu = relu };
            if (plan.Chunks == 1) chunks.Invoke(0);
            else Workers.For(plan.Chunks, in chunks);
        }
    }

    /// <summary>
    /// <see cref="ForwardWinograd(float*, float*, float*, float*, in Conv2dGeometry, bool, int, int, bool)"/> on spans,
    /// for tests: any 3×3, stride-1, pad-1 geometry, F(2×2) or F(4×4).
    /// </summary>
    internal static void ForwardWinograd(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y,
        in Conv2dGeometry g, bool accumulate, int tile, int maxLanes = int.MaxValue)
    {
        g.CheckLengths("forward", x.Length, w.Length, bias.Length, y.Length);
        if (g.R != 3 || g.S != 3 || g.StrideH != 1 || g.StrideW != 1 || g.PadH != 1 || g.PadW != 1 || tile is not (2 or 4) || (accumulate && !bias.IsEmpty))
            throw new ArgumentException($"conv2d winograd: needs a 3x3 stride-1 pad-1 geometry, tile 2 or 4 and no bias when accumulating, got {g}, tile {tile}");
        fixed (float* px = x, pw = w, pb = bias, py = y) ForwardWinograd(px, pw, bias.IsEmpty ? null : pb, py, g, accumulate, tile, maxLanes);
    }

    /// <summary>The shape-only decisions of one Winograd call: tile size, tile grid and chunking.</summary>
    private readonly struct WinogradPlan
    {
        public Conv2dGeometry G { get; init; }
        public int Tile { get; init; }
        public int Alpha { get; init; }
        public int Points => Alpha * Alpha;
        public int TilesW { get; init; }
        public int TilesPerImage { get; init; }
        public int Tiles { get; init; }
        public int ChunkTiles { get; init; }
        public int Chunks { get; init; }
        public int MaxLanes { get; init; }

        /// <summary>Rows of a zero-padded input plane: the tile grid's α-row reach, tilesH·m + 2.</summary>
        public int PaddedH { get; init; }

        /// <summary>Columns of a zero-padded input plane, tilesW·m + 2.</summary>
        public int PaddedW { get; init; }

        /// <summary>
        /// Chunks of at most <see cref="WinogradMaxTiles"/> tiles, equal but the last, an even count (two threads
        /// share them evenly) once there are 32 tiles or more.
        /// </summary>
        public static WinogradPlan Create(in Conv2dGeometry g, int tile, int maxLanes)
        {
            int alpha = tile + 2, tilesH = (g.P + tile - 1) / tile, tilesW = (g.Q + tile - 1) / tile;
            int tiles = g.N * tilesH * tilesW;
            int chunks = (tiles + WinogradMaxTiles - 1) / WinogradMaxTiles;
            if (tiles >= 32) chunks += chunks & 1;
            int chunkTiles = (tiles + chunks - 1) / chunks;
            return new WinogradPlan
            {
                G = g, Tile = tile, Alpha = alpha, TilesW = tilesW, TilesPerImage = tilesH * tilesW, Tiles = tiles,
                ChunkTiles = chunkTiles, Chunks = (tiles + chunkTiles - 1) / chunkTiles, MaxLanes = maxLanes,
                PaddedH = tilesH * tile + 2, PaddedW = tilesW * tile + 2,
            };
        }

        /// <summary>Bᵀ (α × α) of this tile size, row-major.</summary>
        public ReadOnlySpan<float> BT => Tile == 4 ? BT4 : BT2;

        /// <summary>G (α × 3).</summary>
        public ReadOnlySpan<float> GMatrix => Tile == 4 ? G4 : G2;

        /// <summary>Aᵀ (m × α).</summary>
        public ReadOnlySpan<float> AT => Tile == 4 ? AT4 : AT2;
    }

    /// <summary>U[ξ][c][k] = (G w[k, c] Gᵀ)[ξ] for input channel c, vectorized over k.</summary>
    private struct WinogradFilterBody : IParallelBody, ILanesJob
    {
        public float* W, U;
        public WinogradPlan Plan;
        private int _c;

        public readonly void Invoke(int c)
        {
            // A copy per channel: the body itself is shared by the worker threads.
            var job = this;
            job._c = c;
            Lanes.Run(ref job, Plan.G.K, Plan.MaxLanes);
        }

        [MethodImpl(Inlining.HotPath)]
        public readonly int Run<TL, TV>(int k, int end) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            int L = TL.Count, C = Plan.G.C, K = Plan.G.K, alpha = Plan.Alpha;
            long xi = (long)C * K;
            float* d = stackalloc float[9 * L], z = stackalloc float[alpha * 3 * L];
            fixed (float* t = Plan.GMatrix)
            {
                for (; k + L <= end; k += L)
                {
                    float* src = W + ((long)k * C + _c) * 9;
                    for (int l = 0; l < L; l++)
                        for (int e = 0; e < 9; e++) d[e * L + l] = src[(long)l * C * 9 + e];
                    Transform2D<TL, TV>(t, alpha, 3, d, 3 * L, L, z, U + (long)_c * K + k, alpha * xi, xi);
                }
            }
            return k;
        }
    }

    /// <summary>One chunk of tiles: input transform, α² GEMMs, output transform, on scratch owned by the thread.</summary>
    private struct WinogradChunkBody : IParallelBody
    {
        public float* X, U, Bias, Y;
        public WinogradPlan Plan;
        public bool Accumulate, Relu;

        public readonly void Invoke(int chunk)
        {
            var g = Plan.G;
            int first = chunk * Plan.ChunkTiles, count = Math.Min(Plan.ChunkTiles, Plan.Tiles - first), points = Plan.Points;
            int firstImage = first / Plan.TilesPerImage, images = (first + count - 1) / Plan.TilesPerImage - firstImage + 1;
            long vLength = (long)points * g.C * count, mLength = (long)points * g.K * count;
            long padLength = (long)images * g.C * Plan.PaddedH * Plan.PaddedW;
            fixed (float* scratch = ColScratch((int)(vLength + mLength + padLength)))
            {
                float* v = scratch, m = scratch + vLength, xt = m + mLength;
                PadChannelLast(X + (long)firstImage * g.C * g.H * g.W, xt, images, g.C, g.H, g.W, Plan.PaddedH, Plan.PaddedW);
                var input = new WinogradInputJob { Xt = xt, V = v, Plan = Plan, First = first, FirstImage = firstImage, Count = count };
                Lanes.Run(ref input, g.C, Plan.MaxLanes);
                for (int xi = 0; xi < points; xi++)
                {
                    Gemm.Sgemm(Transpose.No, Transpose.No, count, g.K, g.C, 1,
                        new ReadOnlySpan<float>(v + (long)xi * count * g.C, count * g.C), g.C,
                        new ReadOnlySpan<float>(U + (long)xi * g.C * g.K, g.C * g.K), g.K,
                        0, new Span<float>(m + (long)xi * count * g.K, count * g.K), g.K);
                }
                var output = new WinogradOutputJob { M = m, Y = Y, Bias = Bias, Plan = Plan, First = first, Count = count, Accumulate = Accumulate, Relu = Relu };
                Lanes.Run(ref output, g.K, Plan.MaxLanes);
            }
        }
    }

    /// <summary>Where tile <paramref name="t"/> (numbered n, tile row, tile column) starts: image n, output row p0, column q0.</summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void TileOrigin(in WinogradPlan plan, int t, out int n, out int p0, out int q0)
    {
        n = t / plan.TilesPerImage;
        int r = t - n * plan.TilesPerImage, th = r / plan.TilesW;
        p0 = th * plan.Tile;
        q0 = (r - th * plan.TilesW) * plan.Tile;
    }

    /// <summary>
    /// Copies images x (images, C, H, W) channel-last into xt (images, Hp, Wp, C) at row and column offset 1, zeros
    /// elsewhere: every tile of the grid then reads its α×α inputs without bounds checks, C channels contiguous.
    /// </summary>
    private static void PadChannelLast(float* x, float* xt, int images, int c, int h, int w, int hp, int wp)
    {
        new Span<float>(xt, images * hp * wp * c).Clear();
        for (int n = 0; n < images; n++)
            for (int r = 0; r < h; r++)
                for (int ci = 0; ci < c; ci++)
                {
                    float* src = x + (((long)n * c + ci) * h + r) * w;
                    float* dst = xt + (((long)n * hp + r + 1) * wp + 1) * c + ci;
                    for (int q = 0; q < w; q++) dst[(long)q * c] = src[q];
                }
    }

    /// <summary>V[ξ][j][c] = (Bᵀ d B)[ξ] of the α×α input tile d (from the channel-last padded images xt) of chunk tile j, vectorized over c.</summary>
    private struct WinogradInputJob : ILanesJob
    {
        public float* Xt, V;
        public WinogradPlan Plan;
        public int First, FirstImage, Count;

        [MethodImpl(Inlining.HotPath)]
        public readonly int Run<TL, TV>(int c, int end) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            int L = TL.Count, alpha = Plan.Alpha, C = Plan.G.C, hp = Plan.PaddedH, wp = Plan.PaddedW;
            long xi = (long)Count * C;
            float* z = stackalloc float[alpha * alpha * L];
            int stop = c + (end - c) / L * L;
            fixed (float* t = Plan.BT)
            {
                // Tiles outer: one tile's channels are contiguous in xt and in V[ξ].
                for (int j = 0; j < Count; j++)
                {
                    TileOrigin(Plan, First + j, out int n, out int p0, out int q0);
                    float* src = Xt + (((long)(n - FirstImage) * hp + p0) * wp + q0) * C;
                    for (int cb = c; cb < stop; cb += L)
                        Transform2D<TL, TV>(t, alpha, alpha, src + cb, (long)wp * C, C, z, V + (long)j * C + cb, alpha * xi, xi);
                }
            }
            return stop;
        }
    }

    /// <summary>y[n, k, p0 + a, q0 + b] = (Aᵀ M A)[a][b] (+ bias[k], or added into y) for every chunk tile, clipped to P×Q, vectorized over k.</summary>
    private struct WinogradOutputJob : ILanesJob
    {
        public float* M, Y, Bias;
        public WinogradPlan Plan;
        public int First, Count;
        public bool Accumulate, Relu;

        [MethodImpl(Inlining.HotPath)]
        public readonly int Run<TL, TV>(int k, int end) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            int L = TL.Count, alpha = Plan.Alpha, m = Plan.Tile, K = Plan.G.K, P = Plan.G.P, Q = Plan.G.Q;
            long xi = (long)Count * K, plane = (long)P * Q;
            float* z = stackalloc float[m * alpha * L], o = stackalloc float[m * m * L];
            int stop = k + (end - k) / L * L;
            fixed (float* t = Plan.AT)
            {
                // Tiles outer: one tile's filters are contiguous in M[ξ].
                for (int j = 0; j < Count; j++)
                {
                    TileOrigin(Plan, First + j, out int n, out int p0, out int q0);
                    int rows = Math.Min(m, P - p0), cols = Math.Min(m, Q - q0);
                    for (int kb = k; kb < stop; kb += L)
                    {
                        float* y = Y + ((long)n * K + kb) * plane + (long)p0 * Q + q0;
                        Transform2D<TL, TV>(t, m, alpha, M + (long)j * K + kb, alpha * xi, xi, z, o, m * L, L);
                        for (int l = 0; l < L; l++)
                            ScatterTile(o + l, L, m, y + l * plane, Q, rows, cols, Bias == null ? 0 : Bias[kb + l], Accumulate, Relu);
                    }
                }
            }
            return stop;
        }
    }

    /// <summary>
    /// Writes the rows × cols corner of the m×m tile o (element (a, b) at o[(a·m + b)·stride]) into y (row stride q):
    /// y = o + bias (max(o + bias, 0) with <paramref name="relu"/>), or y += o.
    /// </summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void ScatterTile(float* o, int stride, int m, float* y, int q, int rows, int cols, float bias, bool accumulate, bool relu)
    {
        for (int a = 0; a < rows; a++)
        {
            float* orow = o + a * m * stride;
            float* yrow = y + (long)a * q;
            if (accumulate)
                for (int b = 0; b < cols; b++) yrow[b] += orow[b * stride];
            else if (relu)
                for (int b = 0; b < cols; b++) yrow[b] = default(Relu.ReluOperator).Invoke(orow[b * stride] + bias);
            else
                for (int b = 0; b < cols; b++) yrow[b] = orow[b * stride] + bias;
        }
    }
}
