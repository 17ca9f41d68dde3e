using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NanoFed.Threading;

namespace NanoFed.Kernels;

public static unsafe partial class Conv2d
{
    /// <summary>Tiles per block of <see cref="ForwardWinogradLanes"/>: the micro-kernel's three vectors.</summary>
    private const int LaneTiles = 3;

    /// <summary>
    /// Whether forward runs Winograd F(2×2, 3×3) with images in the vector lanes (<see cref="ForwardWinogradLanes"/>):
    /// a 3×3, stride-1, pad-1 convolution of 16 to 256 input channels and filters on an even plane of whole vectors up
    /// to 16×16, a batch of at least 32 (a group of 16 images costs the same with 1 or 16 in it), on AVX-512, or on
    /// AVX2 with FMA (each lanes row as two Vector256 halves), where these shapes also measured faster than the
    /// direct kernel (figures in docs/performance.md). Measured on AVX-512 (one thread, batch 128, median of 5-7), forward and backward-data, against what ran before: ResNet-20's
    /// 64@8 1.67 against 2.97 ms and 32@16 1.90 against 2.59 (direct kernel); VGG11's 64→128@16 13.2 and 14.4
    /// against 19.4 and 21.8 (direct), 128→256@8 11.5 and 12.6 against 14.5 and 15.0, 256@8 22.7 and 23.0 against
    /// 25.7 and 27.0 (channel-last Winograd). Not on 16@32 (2.72 against 2.65 ms; cutting a group into bands of tile
    /// rows that fit in L2 measured slower still, 2.8: with 16 channels each micro-kernel call is a 16-step chain, and
    /// the transposes move 4× the data of 64@8 for the same multiply-adds) nor with 512 channels (256→512@4 14.2 against 13.3, 512@4 32.3 against 27.0: the transformed
    /// input of a block of tiles, 16·C·48 floats, is read once per 8 filters and no longer fits in L2).
    /// </summary>
    internal static bool UseWinogradLanes(in Conv2dGeometry g) =>
        (Avx512F.IsSupported && Vector512.IsHardwareAccelerated || LanesOnAvx2)
        && g.R == 3 && g.S == 3 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 1 && g.PadW == 1
        && g.H % 2 == 0 && g.W % 2 == 0 && g.H * g.W % LaneImages == 0 && g.H * g.W <= 256
        && g.N >= 32 && g.C >= 16 && g.C <= 256 && g.K >= 16 && g.K <= 256;

    /// <summary>Per-caller buffer of the transformed, repacked filters of <see cref="ForwardWinogradLanes"/>.</summary>
    [ThreadStatic]
    private static float[]? t_lanesU;

    /// <summary>
    /// Winograd F(2×2, 3×3) (Lavin and Gray, arXiv:1509.09308) with the images of a group of 16 in the lanes of a
    /// vector: every 2×2 output tile of a group is one vector per channel, so nothing is wasted on planes of any size
    /// and every load is whole. Per group: the images are transposed into xt (C, H+2, W+2, 16) with a zero border;
    /// per block of 3 tiles, V[ξ] (C × 3 tiles × 16) = Bᵀ d B for every channel; per 8 filters and point ξ,
    /// M[ξ] = U[ξ]·V[ξ] by the direct micro-kernel (<see cref="Kernel512{TWidth}"/> with one tap: 8 broadcast
    /// filters × 3 vectors); Aᵀ M A (+ bias, ReLU) goes to yt (K, H, W, 16), which is transposed back into y at the
    /// end. Filters are transformed once per call, U[ξ][k/8][c][8] = (G w[k, c] Gᵀ)[ξ]. Groups run in parallel, one
    /// thread each, and every output's sums run in a fixed order, so the result is the same for any thread count.
    /// Overwrites y (then max(·, 0) when <paramref name="relu"/>), or adds into it when <paramref name="accumulate"/>.
    /// </summary>
    private static void ForwardWinogradLanes(float* x, float* w, float* bias, float* y, in Conv2dGeometry g, bool accumulate, bool relu)
    {
        int kBlocks = (g.K + DirectKB - 1) / DirectKB, packed = 16 * kBlocks * g.C * DirectKB;
        var a = t_lanesU;
        if (a is null || a.Length < packed) t_lanesU = a = GC.AllocateUninitializedArray<float>(packed, pinned: true);
        fixed (float* u = a)
        {
            new Span<float>(u, packed).Clear();
            var filters = new LanesFilterBody { W = w, U = u, C = g.C, K = g.K, KBlocks = kBlocks };
            Workers.For(kBlocks, in filters);
            var body = new WinogradLanesBody { X = x, U = u, Bias = bias, Y = y, G = g, Accumulate = accumulate, Relu = relu };
            int groups = (g.N + LaneImages - 1) / LaneImages;
            if (groups == 1) body.Invoke(0);
            else Workers.For(groups, in body);
        }
    }

    /// <summary>
    /// U[ξ][k/8][c][k % 8] = (G w[k, c] Gᵀ)[ξ] for the 8 filters of block kb (an item: items one filter wide wrote
    /// neighbouring floats of one cache line from both threads, and the convolution took 1.6 instead of 1.0 ms).
    /// </summary>
    private struct LanesFilterBody : IParallelBody
    {
        public float* W, U;
        public int C, K, KBlocks;

        public readonly void Invoke(int kb)
        {
            float* z = stackalloc float[12];
            fixed (float* gm = G2)
            {
                for (int k = kb * DirectKB; k < Math.Min(K, (kb + 1) * DirectKB); k++)
                    for (int c = 0; c < C; c++)
                    {
                        // z (4 × 3) = G f, then (G f Gᵀ)[i][j] = Σ_l z[i][l] G[j][l].
                        float* f = W + ((long)k * C + c) * 9;
                        for (int i = 0; i < 4; i++)
                            for (int l = 0; l < 3; l++)
                                z[i * 3 + l] = gm[i * 3] * f[l] + gm[i * 3 + 1] * f[3 + l] + gm[i * 3 + 2] * f[6 + l];
                        for (int i = 0; i < 4; i++)
                            for (int j = 0; j < 4; j++)
                                U[(((long)(i * 4 + j) * KBlocks + k / DirectKB) * C + c) * DirectKB + k % DirectKB] =
                                    z[i * 3] * gm[j * 3] + z[i * 3 + 1] * gm[j * 3 + 1] + z[i * 3 + 2] * gm[j * 3 + 2];
                    }
            }
        }
    }

    private struct WinogradLanesBody : IParallelBody
    {
        public float* X, U, Bias, Y;
        public Conv2dGeometry G;
        public bool Accumulate, Relu;

        public readonly void Invoke(int group)
        {
            int C = G.C, K = G.K, H = G.H, W = G.W, hw = H * W, hp = H + 2, wp = W + 2;
            int n0 = group * LaneImages, count = Math.Min(LaneImages, G.N - n0), kBlocks = (K + DirectKB - 1) / DirectKB;
            // yt's planes one cache line apart beyond H·W·16 floats (4 or 16 KB here), for the same reason as V's.
            int ytPlane = (hw + 1) * LaneImages;
            long xtLength = (long)C * hp * wp * LaneImages, ytLength = (long)K * ytPlane;
            // V[ξ] one cache line apart beyond whole multiples of C·48 floats: at C = 64 they were 12 KB apart, so the 16
            // stores of a transform all fell in one L1 set.
            int xiStride = C * LaneTiles * LaneImages + LaneImages;
            int vLength = 16 * xiStride, mLength = 16 * DirectKB * LaneTiles * LaneImages;
            fixed (float* scratch = ColScratch((int)(xtLength + ytLength) + vLength + mLength))
            {
                float* xt = scratch, yt = xt + xtLength, v = yt + ytLength, m = v + vLength;
                LanesIn(X + (long)n0 * C * hw, count, xt, G);
                int tilesW = W / 2, tiles = H / 2 * tilesW, block = LaneTiles * LaneImages;
                int zero = 0;
                for (int t0 = 0, nt; t0 < tiles; t0 += nt)
                {
                    // Blocks of 3 tiles, but 2 + 2 rather than 3 + 1 at the end: a 1-tile block feeds 8 FMAs per 9 loads.
                    nt = tiles - t0 == 4 ? 2 : Math.Min(LaneTiles, tiles - t0);
                    for (int c = 0; c < C; c++)
                        for (int tt = 0; tt < nt; tt++)
                        {
                            int ti = (t0 + tt) / tilesW, tj = (t0 + tt) % tilesW;
                            LanesInputTransform(xt + (((long)c * hp + 2 * ti) * wp + 2 * tj) * LaneImages, wp * LaneImages,
                                v + c * block + tt * LaneImages, xiStride);
                        }
                    for (int kb = 0; kb < kBlocks; kb++)
                    {
                        for (int xi = 0; xi < 16; xi++)
                        {
                            float* vx = v + xi * xiStride, wk = U + ((long)xi * kBlocks + kb) * C * DirectKB, mx = m + xi * DirectKB * block;
                            KernelBlock(vx, block, &zero, 1, wk, C, mx, nt * LaneImages);
                        }
                        int channels = Math.Min(DirectKB, K - kb * DirectKB);
                        for (int k = 0; k < channels; k++)
                        {
                            int kk = kb * DirectKB + k;
                            float b = Bias == null || Accumulate ? 0f : Bias[kk];
                            for (int tt = 0; tt < nt; tt++)
                            {
                                int ti = (t0 + tt) / tilesW, tj = (t0 + tt) % tilesW;
                                LanesOutputTransform(m + k * block + tt * LaneImages, DirectKB * block,
                                    yt + (long)kk * ytPlane + (2 * ti * W + 2 * tj) * LaneImages, W * LaneImages,
                                    Bias != null && !Accumulate, b, Relu && !Accumulate);
                            }
                        }
                    }
                }
                LanesOut(yt, ytPlane, Y + (long)n0 * K * hw, count, K, hw, Accumulate);
            }
        }
    }

    /// <summary>
    /// V[ξ] = (Bᵀ d B)[ξ] of one 4×4 input tile d (element (i, j) at d + i·<paramref name="row"/> + j·16), one vector
    /// of images each, into v + ξ·<paramref name="xiStride"/>: F(2×2, 3×3)'s Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],
    /// as adds and subtracts.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void LanesInputTransform(float* d, int row, float* v, int xiStride)
    {
        if (!Avx512F.IsSupported)
        {
            LanesInputTransform256(d, row, v, xiStride);
            LanesInputTransform256(d + 8, row, v + 8, xiStride);
            return;
        }
        // Rows first (Bᵀ d), one column j of four at a time, then that column of Bᵀ d B is finished by the row pass
        // below; both passes are exact reorderings of the same adds, so one column at a time loses nothing.
        float* d1 = d + row, d2 = d + 2 * row, d3 = d + 3 * row;
        Vector512<float> c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33;
        LanesBtColumn(d, d1, d2, d3, 0, out c00, out c10, out c20, out c30);
        LanesBtColumn(d, d1, d2, d3, 1, out c01, out c11, out c21, out c31);
        LanesBtColumn(d, d1, d2, d3, 2, out c02, out c12, out c22, out c32);
        LanesBtColumn(d, d1, d2, d3, 3, out c03, out c13, out c23, out c33);
        LanesBtRow(c00, c01, c02, c03, v, xiStride);
        LanesBtRow(c10, c11, c12, c13, v + 4 * xiStride, xiStride);
        LanesBtRow(c20, c21, c22, c23, v + 8 * xiStride, xiStride);
        LanesBtRow(c30, c31, c32, c33, v + 12 * xiStride, xiStride);
    }

    /// <summary>Column j of Bᵀ d: (d0 − d2, d1 + d2, d2 − d1, d1 − d3) of the column's four rows.</summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void LanesBtColumn(float* d0, float* d1, float* d2, float* d3, int j,
        out Vector512<float> e0, out Vector512<float> e1, out Vector512<float> e2, out Vector512<float> e3)
    {
        var a0 = Vector512.Load(d0 + j * LaneImages);
        var a1 = Vector512.Load(d1 + j * LaneImages);
        var a2 = Vector512.Load(d2 + j * LaneImages);
        var a3 = Vector512.Load(d3 + j * LaneImages);
        e0 = a0 - a2;
        e1 = a1 + a2;
        e2 = a2 - a1;
        e3 = a1 - a3;
    }

    /// <summary>One row of (Bᵀ d) B, stored as V[4i..4i+3] at v, v + xiStride, ...</summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void LanesBtRow(Vector512<float> e0, Vector512<float> e1, Vector512<float> e2, Vector512<float> e3, float* v, int xiStride)
    {
        (e0 - e2).Store(v);
        (e1 + e2).Store(v + xiStride);
        (e2 - e1).Store(v + 2 * xiStride);
        (e1 - e3).Store(v + 3 * xiStride);
    }

    /// <summary>
    /// The 2×2 output tile Aᵀ M A of the 16 vectors M[ξ] at m + ξ·<paramref name="xiStride"/>, plus
    /// <paramref name="bias"/> when <paramref name="hasBias"/>, then max(·, 0) when <paramref name="relu"/>, into
    /// y (element (a, b) at y + a·<paramref name="row"/> + b·16): F(2×2, 3×3)'s Aᵀ = [1 1 1 0; 0 1 −1 −1].
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void LanesOutputTransform(float* m, int xiStride, float* y, int row, bool hasBias, float bias, bool relu)
    {
        if (!Avx512F.IsSupported)
        {
            LanesOutputTransform256(m, xiStride, y, row, hasBias, bias, relu);
            LanesOutputTransform256(m + 8, xiStride, y + 8, row, hasBias, bias, relu);
            return;
        }
        // (Aᵀ M) column by column: f0 = m0 + m1 + m2 and f1 = m1 − m2 − m3 over the rows of M.
        Vector512<float> f00, f01, f02, f03, f10, f11, f12, f13;
        LanesAtColumn(m, xiStride, 0, out f00, out f10);
        LanesAtColumn(m, xiStride, 1, out f01, out f11);
        LanesAtColumn(m, xiStride, 2, out f02, out f12);
        LanesAtColumn(m, xiStride, 3, out f03, out f13);
        var b = Vector512.Create(bias);
        LanesAtRow(f00, f01, f02, f03, y, hasBias, b, relu);
        LanesAtRow(f10, f11, f12, f13, y + row, hasBias, b, relu);
    }

    [MethodImpl(Inlining.ShortMethod)]
    private static void LanesAtColumn(float* m, int xiStride, int j, out Vector512<float> f0, out Vector512<float> f1)
    {
        var m0 = Vector512.Load(m + j * xiStride);
        var m1 = Vector512.Load(m + (4 + j) * xiStride);
        var m2 = Vector512.Load(m + (8 + j) * xiStride);
        var m3 = Vector512.Load(m + (12 + j) * xiStride);
        f0 = m0 + m1 + m2;
        f1 = m1 - m2 - m3;
    }

    /// <summary>One output row (two vectors) of (Aᵀ M) A, with the bias and the ReLU.</summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void LanesAtRow(Vector512<float> f0, Vector512<float> f1, Vector512<float> f2, Vector512<float> f3, float* y,
        bool hasBias, Vector512<float> bias, bool relu)
    {
        var o0 = f0 + f1 + f2;
        var o1 = f1 - f2 - f3;
        if (hasBias)
        {
            o0 += bias;
            o1 += bias;
        }
        if (relu)
        {
            o0 = default(Relu.ReluOperator).Invoke(o0);
            o1 = default(Relu.ReluOperator).Invoke(o1);
        }
        o0.Store(y);
        o1.Store(y + LaneImages);
    }

    /// <summary>
    /// <see cref="LanesInputTransform"/> for the 8 lanes at d and v (one half of a lanes row) with Vector256: row i
    /// of Bᵀ d is formed from two rows of d and finished at once, so 4 values are live rather than the 16 that AVX2's
    /// 16 registers cannot hold; every element is the same expression as in the Vector512 version.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void LanesInputTransform256(float* d, int row, float* v, int xiStride)
    {
        float* d1 = d + row, d2 = d + 2 * row, d3 = d + 3 * row;
        LanesBtRow256(d, d2, subtract: true, v, xiStride);
        LanesBtRow256(d1, d2, subtract: false, v + 4 * xiStride, xiStride);
        LanesBtRow256(d2, d1, subtract: true, v + 8 * xiStride, xiStride);
        LanesBtRow256(d1, d3, subtract: true, v + 12 * xiStride, xiStride);
    }

    /// <summary>Row e = a − b (or a + b) of Bᵀ d, four columns 16 floats apart, times B: as <see cref="LanesBtRow"/>.</summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void LanesBtRow256(float* a, float* b, bool subtract, float* v, int xiStride)
    {
        Vector256<float> e0, e1, e2, e3;
        if (subtract)
        {
            e0 = Vector256.Load(a) - Vector256.Load(b);
            e1 = Vector256.Load(a + LaneImages) - Vector256.Load(b + LaneImages);
            e2 = Vector256.Load(a + 2 * LaneImages) - Vector256.Load(b + 2 * LaneImages);
            e3 = Vector256.Load(a + 3 * LaneImages) - Vector256.Load(b + 3 * LaneImages);
        }
        else
        {
            e0 = Vector256.Load(a) + Vector256.Load(b);
            e1 = Vector256.Load(a + LaneImages) + Vector256.Load(b + LaneImages);
            e2 = Vector256.Load(a + 2 * LaneImages) + Vector256.Load(b + 2 * LaneImages);
            e3 = Vector256.Load(a + 3 * LaneImages) + Vector256.Load(b + 3 * LaneImages);
        }
        (e0 - e2).Store(v);
        (e1 + e2).Store(v + xiStride);
        (e2 - e1).Store(v + 2 * xiStride);
        (e1 - e3).Store(v + 3 * xiStride);
    }

    /// <summary><see cref="LanesOutputTransform"/> for the 8 lanes at m and y (one half of a lanes row) with Vector256, the same expressions.</summary>
    [MethodImpl(Inlining.HotPath)]
    private static void LanesOutputTransform256(float* m, int xiStride, float* y, int row, bool hasBias, float bias, bool relu)
    {
        Vector256<float> f00, f01, f02, f03, f10, f11, f12, f13;
        LanesAtColumn256(m, xiStride, 0, out f00, out f10);
        LanesAtColumn256(m, xiStride, 1, out f01, out f11);
        LanesAtColumn256(m, xiStride, 2, out f02, out f12);
        LanesAtColumn256(m, xiStride, 3, out f03, out f13);
        var b = Vector256.Create(bias);
        LanesAtRow256(f00, f01, f02, f03, y, hasBias, b, relu);
        LanesAtRow256(f10, f11, f12, f13, y + row, hasBias, b, relu);
    }

    [MethodImpl(Inlining.ShortMethod)]
    private static void LanesAtColumn256(float* m, int xiStride, int j, out Vector256<float> f0, out Vector256<float> f1)
    {
        var m0 = Vector256.Load(m + j * xiStride);
        var m1 = Vector256.Load(m + (4 + j) * xiStride);
        var m2 = Vector256.Load(m + (8 + j) * xiStride);
        var m3 = Vector256.Load(m + (12 + j) * xiStride);
        f0 = m0 + m1 + m2;
        f1 = m1 - m2 - m3;
    }

    [MethodImpl(Inlining.ShortMethod)]
    private static void LanesAtRow256(Vector256<float> f0, Vector256<float> f1, Vector256<float> f2, Vector256<float> f3, float* y,
        bool hasBias, Vector256<float> bias, bool relu)
    {
        var o0 = f0 + f1 + f2;
        var o1 = f1 - f2 - f3;
        if (hasBias)
        {
            o0 += bias;
            o1 += bias;
        }
        if (relu)
        {
            o0 = default(Relu.ReluOperator).Invoke(o0);
            o1 = default(Relu.ReluOperator).Invoke(o1);
        }
        o0.Store(y);
        o1.Store(y + LaneImages);
    }
}
