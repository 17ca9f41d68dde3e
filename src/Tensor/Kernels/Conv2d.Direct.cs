using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NanoFed.Threading;

namespace NanoFed.Kernels;

public static unsafe partial class Conv2d
{
    /// <summary>Output channels per direct micro-kernel call (broadcast weights per input position).</summary>
    private const int DirectKB = 8;

    /// <summary>
    /// Whether forward runs the direct 3×3 kernel: stride 1, padding 1, Vector512 or Vector256 accelerated, and
    /// the shapes where it measured faster than im2col + GEMM (docs/performance.md, "The measurements behind the kernels' choices"); slower on planes of 8×8 or less
    /// with 128+ channels, where the GEMM's reuse of packed filters wins.
    /// </summary>
    internal static bool UseDirect3x3(in Conv2dGeometry g) =>
        g.R == 3 && g.S == 3 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 1 && g.PadW == 1
        && (g.C <= 64 || (g.C <= 128 && g.H * g.W >= 256))
        && (Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated);

    /// <summary>
    /// Whether forward runs the direct kernel on the stride-2 phases (<see cref="PadPhases"/>), and backward-data the
    /// direct kernel on the phases of dX (<see cref="BackwardDataDirectStride2"/>): a 3×3, stride-2, pad-1
    /// convolution of 8 to 64 input channels (ResNet's down-sampling layers), Vector512 or Vector256 accelerated, where
    /// it measured faster than im2col + GEMM and GEMM + col2im (docs/performance.md, "The measurements behind the kernels' choices").
    /// </summary>
    private static bool UseDirectStride2(in Conv2dGeometry g) =>
        g.R == 3 && g.S == 3 && g.StrideH == 2 && g.StrideW == 2 && g.PadH == 1 && g.PadW == 1
        && g.C >= 8 && g.C <= 64
        && (Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated);

    /// <summary>Per-caller buffer of the filters repacked for the direct kernel.</summary>
    [ThreadStatic]
    private static float[]? t_direct;

    /// <summary>
    /// Direct 3×3 pad-1 convolution, stride 1 or 2. Each image is copied into flat zero-bordered planes of row stride
    /// Q+1: for stride 1 one plane per channel (<see cref="PadImage"/>), for stride 2 the four phases of each channel
    /// (<see cref="PadPhases"/>). There, output (p, q) of filter tap (r, s) reads xpad at flat index j + taps[r·3 + s]
    /// with j = p·(Q+1) + q (<see cref="DirectTaps"/>), so outputs are computed along j with plain vector loads (the
    /// one column per row with q = Q is computed and dropped). The micro-kernel holds 8 output channels (on Vector256 4 at a time,
    /// twice) × up to 3 vectors of j in registers and sums over (c, r, s) in that order with one FMA chain per output, on every vector width; its
    /// block then goes through <see cref="StoreDirectBlock"/> straight into y. Filters are repacked as
    /// wp[K/8][C][9][8] (zero rows past K). Overwrites y (then max(·, 0) when <paramref name="relu"/>), or adds into
    /// it when <paramref name="accumulate"/>; bias (K) may be null.
    /// </summary>
    private static void ForwardDirect3x3(float* x, float* w, float* bias, float* y, in Conv2dGeometry g, bool accumulate, bool relu)
    {
        int kBlocks = (g.K + DirectKB - 1) / DirectKB;
        int packed = kBlocks * g.C * 9 * DirectKB;
        var a = t_direct;
        if (a is null || a.Length < packed) t_direct = a = GC.AllocateUninitializedArray<float>(packed, pinned: true);
        fixed (float* wp = a)
        {
            new Span<float>(wp, packed).Clear();
            for (int k = 0; k < g.K; k++)
                for (int c = 0; c < g.C; c++)
                    for (int rs = 0; rs < 9; rs++)
                        wp[((k / DirectKB * g.C + c) * 9 + rs) * DirectKB + k % DirectKB] = w[(k * g.C + c) * 9 + rs];
            var body = new DirectBody { X = x, Wp = wp, Bias = bias, Y = y, G = g, Accumulate = accumulate, Relu = relu };
            if (g.N == 1) body.Invoke(0);
            else Workers.For(g.N, in body);
        }
    }

    /// <summary>Flat positions per direct micro-kernel block: 3 vectors of 16.</summary>
    private const int DirectBlock = 48;

    private struct DirectBody : IParallelBody
    {
        public float* X, Wp, Bias, Y;
        public Conv2dGeometry G;
        public bool Accumulate, Relu;

        public readonly void Invoke(int n)
        {
            int C = G.C, K = G.K, H = G.H, W = G.W, P = G.P, Q = G.Q, plane = DirectChannelStride(G), length = P * (Q + 1);
            int* taps = stackalloc int[9];
            DirectTaps(G, taps);
            int kBlocks = (K + DirectKB - 1) / DirectKB;
            float* tile = stackalloc float[DirectKB * DirectBlock];
            int xLength = DirectXLength(G);
            fixed (float* xpad = ColScratch(xLength))
            {
                if (G.StrideH == 1) PadImage(X + (long)n * C * H * W, xpad, C, H, W, xLength);
                else PadPhases(X + (long)n * C * H * W, xpad, G, xLength);
                float* yn = Y + (long)n * K * P * Q;
                for (int kb = 0; kb < kBlocks; kb++)
                {
                    float* wk = Wp + (long)kb * C * 9 * DirectKB;
                    int channels = Math.Min(DirectKB, K - kb * DirectKB);
                    var store = new DirectStore { Y = yn + (long)kb * DirectKB * P * Q, Bias = Bias == null ? null : Bias + kb * DirectKB, Plane = P * Q, W = Q, Length = length, Accumulate = Accumulate, Relu = Relu };
                    for (int j = 0; j < length; j += DirectBlock)
                    {
                        KernelBlock(xpad + j, plane, taps, 9, wk, C, tile, length - j);
                        StoreDirectBlock(tile, channels, j, Math.Min(DirectBlock, length - j), store);
                    }
                }
            }
        }
    }

    /// <summary>Where and how <see cref="StoreDirectBlock"/> writes: y of the block's first channel, its bias (or null), the output plane H·W.</summary>
    private struct DirectStore
    {
        public float* Y, Bias;
        public int Plane, W, Length;
        public bool Accumulate, Relu;

        /// <summary>y = v + bias (max(·, 0) with <see cref="Relu"/>), or y + v when accumulating: as <see cref="StoreOutputRow"/>.</summary>
        [MethodImpl(Inlining.ShortMethod)]
        public readonly float Value(float v, float y, float bias)
        {
            if (Accumulate) return y + v;
            if (Bias != null) v += bias;
            return Relu ? default(Relu.ReluOperator).Invoke(v) : v;
        }

        /// <summary><see cref="Value"/> over <paramref name="count"/> consecutive outputs, a Vector256 at a time where accelerated.</summary>
        [MethodImpl(Inlining.ShortMethod)]
        public readonly void StoreRun(float* src, float* y, int count, float bias)
        {
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var b = Vector256.Create(bias);
                for (; i + 8 <= count; i += 8)
                {
                    var v = Vector256.Load(src + i);
                    if (Accumulate) v += Vector256.Load(y + i);
                    else
                    {
                        if (Bias != null) v += b;
                        if (Relu) v = default(Relu.ReluOperator).Invoke(v);
                    }
                    v.Store(y + i);
                }
            }
            for (; i < count; i++) y[i] = Value(src[i], y[i], bias);
        }
    }

    /// <summary>
    /// Writes the micro-kernel's block (channels × <paramref name="count"/> flat positions from j0, row stride
    /// <see cref="DirectBlock"/>) into y (K, H, W), dropping the positions with w = W. The kept positions of a run of j
    /// are consecutive in y: the one at j = h·(W+1) + w goes to h·W + w. On AVX-512 each vector is compressed to
    /// its kept lanes and stored under a mask; elsewhere each run of kept positions (one output row or part of it) is
    /// stored by <see cref="DirectStore.StoreRun"/>, with the same arithmetic.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void StoreDirectBlock(float* tile, int channels, int j0, int count, in DirectStore st)
    {
        int ws = st.W + 1;
        if (Avx512F.IsSupported)
        {
            var laneBits = Vector512.Create(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768);
            var iota = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            for (int v = 0; v < count; v += 16)
            {
                int j = j0 + v, h = j / ws, w = j - h * ws, kept = 0xFFFF;
                // Lanes at w = W are dropped: the first at lane W − w, then every W+1.
                for (int l = st.W - w; l < 16; l += ws) kept &= ~(1 << l);
                if (st.Length - j < 16) kept &= (1 << (st.Length - j)) - 1;
                var keep = Vector512.Equals(Vector512.Create(kept) & laneBits, laneBits).AsSingle();
                var first = Vector512.LessThan(iota, Vector512.Create(BitOperations.PopCount((uint)kept))).AsSingle();
                long offset = (long)h * st.W + w;
                for (int k = 0; k < channels; k++)
                {
                    var value = Avx512F.Compress(Vector512<float>.Zero, keep, Vector512.Load(tile + k * DirectBlock + v));
                    float* y = st.Y + (long)k * st.Plane + offset;
                    if (st.Accumulate) value += Avx512F.MaskLoad(y, first, Vector512<float>.Zero);
                    else
                    {
                        if (st.Bias != null) value += Vector512.Create(st.Bias[k]);
                        if (st.Relu) value = default(Relu.ReluOperator).Invoke(value);
                    }
                    Avx512F.MaskStore(y, first, value);
                }
            }
            return;
        }
        for (int j = j0, end = j0 + count; j < end;)
        {
            int h = j / ws, w = j - h * ws;
            if (w == st.W)
            {
                j++;
                continue;
            }
            int run = Math.Min(end - j, st.W - w);
            for (int k = 0; k < channels; k++)
                st.StoreRun(tile + k * DirectBlock + (j - j0), st.Y + (long)k * st.Plane + (long)h * st.W + w, run, st.Bias == null ? 0f : st.Bias[k]);
            j += run;
        }
    }

    /// <summary>Floats of one channel's flat plane: H+2 rows of W+1 (one zero column per row, shared by its neighbours as their border) and the last border element.</summary>
    private static int DirectPlane(in Conv2dGeometry g) => (g.H + 2) * (g.W + 1) + 1;

    /// <summary>Floats of one stride-2 phase plane (<see cref="PadPhases"/>): P+1 rows of Q+1.</summary>
    private static int PhasePlane(in Conv2dGeometry g) => (g.P + 1) * (g.Q + 1);

    /// <summary>Floats between consecutive channels of the direct kernel's input: one plane, or four phase planes for stride 2.</summary>
    private static int DirectChannelStride(in Conv2dGeometry g) => g.StrideH == 1 ? DirectPlane(g) : 4 * PhasePlane(g);

    /// <summary>
    /// taps[r·3 + s]: where filter tap (r, s) of output j = p·(Q+1) + q reads, relative to j and the channel's start.
    /// Stride 1: r·(W+1) + s. Stride 2: input (2p + r − 1, 2q + s − 1) is row p − 1 (r = 0) or p (r = 1, 2) of the
    /// odd (r ≠ 1) or even (r = 1) row phase, and likewise for columns, at (row + 1)·(Q+1) + column + 1 of its plane.
    /// </summary>
    private static void DirectTaps(in Conv2dGeometry g, int* taps)
    {
        int ws = g.Q + 1;
        for (int r = 0; r < 3; r++)
            for (int s = 0; s < 3; s++)
                taps[r * 3 + s] = g.StrideH == 1
                    ? r * ws + s
                    : ((r == 1 ? 0 : 2) + (s == 1 ? 0 : 1)) * PhasePlane(g) + (r == 0 ? 0 : ws) + (s == 0 ? 0 : 1);
    }

    /// <summary>
    /// Copies image x (C, H, W) into xpad as C groups of four phase planes (<see cref="PhasePlane"/>), phase (a, b)
    /// at (2a + b)·plane holding x[c, 2u + a, 2v + b] at (u + 1)·(Q+1) + v + 1 and zeros elsewhere (row 0, column 0,
    /// and past the image); then zeros to <paramref name="xLength"/>. Each input row is split into its even and odd
    /// elements by <see cref="StridedRows.Deinterleave"/>.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void PadPhases(float* x, float* xpad, in Conv2dGeometry g, int xLength)
    {
        int H = g.H, W = g.W, P = g.P, Q = g.Q, ws = Q + 1, plane = PhasePlane(g), even = (W + 1) / 2, odd = W / 2;
        for (int c = 0; c < g.C; c++)
            for (int a = 0; a < 2; a++)
            {
                float* e = xpad + ((long)c * 4 + 2 * a) * plane, o = e + plane;
                new Span<float>(e, ws).Clear();
                new Span<float>(o, ws).Clear();
                for (int u = 0; u < P; u++)
                {
                    float* er = e + (u + 1) * ws, or = o + (u + 1) * ws;
                    int i = 2 * u + a;
                    int evens = i < H ? Math.Min(even, Q) : 0, odds = i < H ? Math.Min(odd, Q) : 0;
                    er[0] = 0;
                    or[0] = 0;
                    if (i < H) StridedRows.Deinterleave(x + ((long)c * H + i) * W, W, er + 1, or + 1);
                    new Span<float>(er + 1 + evens, Q - evens).Clear();
                    new Span<float>(or + 1 + odds, Q - odds).Clear();
                }
            }
        new Span<float>(xpad + (long)g.C * 4 * plane, xLength - g.C * 4 * plane).Clear();
    }


    /// <summary>
    /// Copies image x (C, H, W) into xpad as C flat planes (<see cref="DirectPlane"/>): x[c, h, w] at
    /// c·plane + (h+1)·(W+1) + w + 1, zeros in the top and bottom rows and in column 0 of every row, which is both the
    /// right border of the row before and the left border of its own row; then zeros to <paramref name="xLength"/>.
    /// Only the borders are written besides the copy: clearing the whole plane first cost as much as the copy itself.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void PadImage(float* x, float* xpad, int c, int h, int w, int xLength)
    {
        int ws = w + 1, plane = (h + 2) * ws + 1;
        for (int ci = 0; ci < c; ci++)
        {
            float* dst = xpad + (long)ci * plane;
            new Span<float>(dst, ws).Clear();
            for (int hi = 0; hi < h; hi++)
            {
                float* row = dst + (hi + 1) * ws;
                row[0] = 0;
                CopyShort(x + ((long)ci * h + hi) * w, row + 1, w);
            }
            new Span<float>(dst + (h + 1) * ws, ws + 1).Clear();
        }
        new Span<float>(xpad + (long)c * plane, xLength - c * plane).Clear();
    }

    /// <summary>
    /// One block of the micro-kernel into tile (8 rows of <see cref="DirectBlock"/>): the next 48 flat positions, or
    /// fewer when no more than that <paramref name="remaining"/> (32 or 16 on Vector512; on Vector256 two steps of up
    /// to 24, each rounded up to 8).
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void KernelBlock(float* x, int plane, int* taps, int tapCount, float* wk, int c, float* tile, int remaining)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            if (remaining > 32) Kernel512<ThreeVectors>(x, plane, taps, tapCount, wk, c, tile, DirectBlock);
            else if (remaining > 16) Kernel512<TwoVectors>(x, plane, taps, tapCount, wk, c, tile, DirectBlock);
            else Kernel512<OneVector>(x, plane, taps, tapCount, wk, c, tile, DirectBlock);
            return;
        }
        for (int j = 0; j < Math.Min(remaining, DirectBlock); j += 24)
        {
            if (remaining - j > 16) Kernel256<ThreeVectors>(x + j, plane, taps, tapCount, wk, c, tile + j, DirectBlock);
            else if (remaining - j > 8) Kernel256<TwoVectors>(x + j, plane, taps, tapCount, wk, c, tile + j, DirectBlock);
            else Kernel256<OneVector>(x + j, plane, taps, tapCount, wk, c, tile + j, DirectBlock);
        }
    }

    /// <summary>How many vectors of flat positions a <see cref="Kernel512{TWidth}"/> call covers (a constant per type: the JIT removes the unused branches).</summary>
    private interface IPositionVectors
    {
        static abstract int Count { get; }
    }

    private readonly struct OneVector : IPositionVectors
    {
        public static int Count => 1;
    }

    private readonly struct TwoVectors : IPositionVectors
    {
        public static int Count => 2;
    }

    private readonly struct ThreeVectors : IPositionVectors
    {
        public static int Count => 3;
    }

    /// <summary>
    /// 8 output channels × 16·<typeparamref name="TWidth"/> flat positions (8 accumulators per vector of positions,
    /// one load per vector and 8 broadcasts per filter tap): the same FMA chain per output at every width. Input
    /// channel ci is read at x + ci·plane + taps[t] for each of its <paramref name="tapCount"/> taps t, with the
    /// weights wk[ci][t][8]; y gets 8 rows of <paramref name="rowLength"/>.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void Kernel512<TWidth>(float* x, int plane, int* taps, int tapCount, float* wk, int c, float* y, int rowLength)
        where TWidth : struct, IPositionVectors
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default, d6 = default, d7 = default;
        bool two = TWidth.Count >= 2, three = TWidth.Count == 3;
        for (int ci = 0; ci < c; ci++)
        {
            float* xc = x + (long)ci * plane;
            float* wc = wk + ci * tapCount * DirectKB;
            for (int t = 0; t < tapCount; t++)
            {
                float* src = xc + taps[t];
                var v0 = Vector512.Load(src);
                var v1 = two ? Vector512.Load(src + 16) : default;
                var v2 = three ? Vector512.Load(src + 32) : default;
                float* tw = wc + t * DirectKB;
                var w = Vector512.Create(tw[0]); a0 = Vector512.FusedMultiplyAdd(v0, w, a0); if (two) b0 = Vector512.FusedMultiplyAdd(v1, w, b0); if (three) d0 = Vector512.FusedMultiplyAdd(v2, w, d0);
                w = Vector512.Create(tw[1]); a1 = Vector512.FusedMultiplyAdd(v0, w, a1); if (two) b1 = Vector512.FusedMultiplyAdd(v1, w, b1); if (three) d1 = Vector512.FusedMultiplyAdd(v2, w, d1);
                w = Vector512.Create(tw[2]); a2 = Vector512.FusedMultiplyAdd(v0, w, a2); if (two) b2 = Vector512.FusedMultiplyAdd(v1, w, b2); if (three) d2 = Vector512.FusedMultiplyAdd(v2, w, d2);
                w = Vector512.Create(tw[3]); a3 = Vector512.FusedMultiplyAdd(v0, w, a3); if (two) b3 = Vector512.FusedMultiplyAdd(v1, w, b3); if (three) d3 = Vector512.FusedMultiplyAdd(v2, w, d3);
                w = Vector512.Create(tw[4]); a4 = Vector512.FusedMultiplyAdd(v0, w, a4); if (two) b4 = Vector512.FusedMultiplyAdd(v1, w, b4); if (three) d4 = Vector512.FusedMultiplyAdd(v2, w, d4);
                w = Vector512.Create(tw[5]); a5 = Vector512.FusedMultiplyAdd(v0, w, a5); if (two) b5 = Vector512.FusedMultiplyAdd(v1, w, b5); if (three) d5 = Vector512.FusedMultiplyAdd(v2, w, d5);
                w = Vector512.Create(tw[6]); a6 = Vector512.FusedMultiplyAdd(v0, w, a6); if (two) b6 = Vector512.FusedMultiplyAdd(v1, w, b6); if (three) d6 = Vector512.FusedMultiplyAdd(v2, w, d6);
                w = Vector512.Create(tw[7]); a7 = Vector512.FusedMultiplyAdd(v0, w, a7); if (two) b7 = Vector512.FusedMultiplyAdd(v1, w, b7); if (three) d7 = Vector512.FusedMultiplyAdd(v2, w, d7);
            }
        }
        a0.Store(y); a1.Store(y + rowLength); a2.Store(y + 2 * rowLength); a3.Store(y + 3 * rowLength);
        a4.Store(y + 4 * rowLength); a5.Store(y + 5 * rowLength); a6.Store(y + 6 * rowLength); a7.Store(y + 7 * rowLength);
        if (!two) return;
        b0.Store(y + 16); b1.Store(y + rowLength + 16); b2.Store(y + 2 * rowLength + 16); b3.Store(y + 3 * rowLength + 16);
        b4.Store(y + 4 * rowLength + 16); b5.Store(y + 5 * rowLength + 16); b6.Store(y + 6 * rowLength + 16); b7.Store(y + 7 * rowLength + 16);
        if (!three) return;
        d0.Store(y + 32); d1.Store(y + rowLength + 32); d2.Store(y + 2 * rowLength + 32); d3.Store(y + 3 * rowLength + 32);
        d4.Store(y + 4 * rowLength + 32); d5.Store(y + 5 * rowLength + 32); d6.Store(y + 6 * rowLength + 32); d7.Store(y + 7 * rowLength + 32);
    }

    /// <summary>
    /// 8 output channels × 8·<typeparamref name="TWidth"/> flat positions, as two passes of 4 channels
    /// (<see cref="Kernel256Quad{TWidth}"/>): 8 channels × 3 vectors would need 24 accumulators, and AVX2 has 16
    /// registers. Same arguments and FMA chain per output as <see cref="Kernel512{TWidth}"/>.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void Kernel256<TWidth>(float* x, int plane, int* taps, int tapCount, float* wk, int c, float* y, int rowLength)
        where TWidth : struct, IPositionVectors
    {
        Kernel256Quad<TWidth>(x, plane, taps, tapCount, wk, c, y, rowLength);
        Kernel256Quad<TWidth>(x, plane, taps, tapCount, wk + 4, c, y + 4 * rowLength, rowLength);
    }

    /// <summary>
    /// 4 output channels (weights wk[ci][t][0..3], rows 8 floats apart) × 8·<typeparamref name="TWidth"/> flat
    /// positions: 12 accumulators, 3 loads and one broadcast at a time fit AVX2's 16 registers, and 3 loads plus 4
    /// broadcasts feed 12 FMAs, where 8 channels × 1 vector took 1 load and 8 broadcasts per 8 FMAs.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void Kernel256Quad<TWidth>(float* x, int plane, int* taps, int tapCount, float* wk, int c, float* y, int rowLength)
        where TWidth : struct, IPositionVectors
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        Vector256<float> d0 = default, d1 = default, d2 = default, d3 = default;
        bool two = TWidth.Count >= 2, three = TWidth.Count == 3;
        for (int ci = 0; ci < c; ci++)
        {
            float* xc = x + (long)ci * plane;
            float* wc = wk + ci * tapCount * DirectKB;
            for (int t = 0; t < tapCount; t++)
            {
                float* src = xc + taps[t];
                var v0 = Vector256.Load(src);
                var v1 = two ? Vector256.Load(src + 8) : default;
                var v2 = three ? Vector256.Load(src + 16) : default;
                float* tw = wc + t * DirectKB;
                var w = Vector256.Create(tw[0]); a0 = Vector256.FusedMultiplyAdd(v0, w, a0); if (two) b0 = Vector256.FusedMultiplyAdd(v1, w, b0); if (three) d0 = Vector256.FusedMultiplyAdd(v2, w, d0);
                w = Vector256.Create(tw[1]); a1 = Vector256.FusedMultiplyAdd(v0, w, a1); if (two) b1 = Vector256.FusedMultiplyAdd(v1, w, b1); if (three) d1 = Vector256.FusedMultiplyAdd(v2, w, d1);
                w = Vector256.Create(tw[2]); a2 = Vector256.FusedMultiplyAdd(v0, w, a2); if (two) b2 = Vector256.FusedMultiplyAdd(v1, w, b2); if (three) d2 = Vector256.FusedMultiplyAdd(v2, w, d2);
                w = Vector256.Create(tw[3]); a3 = Vector256.FusedMultiplyAdd(v0, w, a3); if (two) b3 = Vector256.FusedMultiplyAdd(v1, w, b3); if (three) d3 = Vector256.FusedMultiplyAdd(v2, w, d3);
            }
        }
        a0.Store(y); a1.Store(y + rowLength); a2.Store(y + 2 * rowLength); a3.Store(y + 3 * rowLength);
        if (!two) return;
        b0.Store(y + 8); b1.Store(y + rowLength + 8); b2.Store(y + 2 * rowLength + 8); b3.Store(y + 3 * rowLength + 8);
        if (!three) return;
        d0.Store(y + 16); d1.Store(y + rowLength + 16); d2.Store(y + 2 * rowLength + 16); d3.Store(y + 3 * rowLength + 16);
    }
}
