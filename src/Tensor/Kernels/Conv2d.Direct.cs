using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NanoFed.Threading;

namespace NanoFed.Kernels;

public static unsafe partial class Conv2d
{
    /// <summary>Output channels per direct micro-kernel call (broadcast weights per input position).</summary>
    private const int DirectKB = 8;

    /// <summary>
    /// Whether forward runs the direct 3×3 kernel: stride 1, padding 1, Vector512 or Vector256 accelerated, and
    /// the shapes where it measured faster than im2col + GEMM (one thread, CPU time): about 1.8× on ResNet-20's
    /// 16@32, 32@16 and 64@8 layers and 1.25× on 64→128@16 and 128→128@16; slower with 3 input channels (the
    /// kernel's chain is too short for its 16 stores) and on planes of 8×8 or less with 128+ channels, where the
    /// GEMM's reuse of packed filters wins.
    /// </summary>
    private static bool UseDirect3x3(in Conv2dGeometry g) =>
        g.R == 3 && g.S == 3 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 1 && g.PadW == 1
        && g.C >= 8 && (g.C <= 64 || (g.C <= 128 && g.H * g.W >= 256))
        && (Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated);

    /// <summary>Per-caller buffer of the filters repacked for the direct kernel.</summary>
    [ThreadStatic]
    private static float[]? t_direct;

    /// <summary>
    /// Direct 3×3 stride-1 pad-1 convolution. Each image is copied into a zero-bordered plane xpad (C, H+2, W+2);
    /// in that layout, output (h, w) of filter tap (r, s) reads xpad at flat index h·(W+2) + w + r·(W+2) + s, so
    /// outputs are computed along the flat index j = h·(W+2) + w with plain vector loads (the two columns per row
    /// with w ≥ W are computed and dropped). The micro-kernel holds 8 output channels × 2 vectors of j in
    /// registers and sums over (c, r, s) in that order with one FMA chain per output, on every vector width.
    /// Filters are repacked as wp[K/8][C][9][8] (zero rows past K). Overwrites y (then max(·, 0) when
    /// <paramref name="relu"/>), or adds into it when <paramref name="accumulate"/>; bias (K) may be null.
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

    private struct DirectBody : IParallelBody
    {
        public float* X, Wp, Bias, Y;
        public Conv2dGeometry G;
        public bool Accumulate, Relu;

        public readonly void Invoke(int n)
        {
            int C = G.C, K = G.K, H = G.H, W = G.W, wp2 = W + 2, plane = (H + 2) * wp2, length = H * wp2;
            // Vector512 steps 48 positions (3 loads and 8 broadcasts feed 24 FMAs) and ends with a 16- or 32-wide
            // step, so a row costs its length rounded up to 16 (8×8 planes: 80 positions, not 96); Vector256 steps 8.
            int block = Vector512.IsHardwareAccelerated ? 48 : 8, granule = Vector512.IsHardwareAccelerated ? 16 : 8;
            int rowLength = (length + granule - 1) / granule * granule, kBlocks = (K + DirectKB - 1) / DirectKB;
            // xpad plus slack for the last block's overrun; ypw holds kBlocks·8 rows of rowLength.
            int xLength = DirectXLength(G);
            fixed (float* scratch = ColScratch(xLength + kBlocks * DirectKB * rowLength))
            {
                float* xpad = scratch, ypw = scratch + xLength;
                PadImage(X + (long)n * C * H * W, xpad, C, H, W, xLength);
                for (int kb = 0; kb < kBlocks; kb++)
                {
                    float* wk = Wp + (long)kb * C * 9 * DirectKB;
                    float* yk = ypw + (long)kb * DirectKB * rowLength;
                    for (int j = 0; j < length; j += block)
                    {
                        if (!Vector512.IsHardwareAccelerated) Kernel256(xpad + j, plane, wp2, wk, C, yk + j, rowLength);
                        else if (length - j > 32) Kernel512<ThreeVectors>(xpad + j, plane, wp2, wk, C, yk + j, rowLength);
                        else if (length - j > 16) Kernel512<TwoVectors>(xpad + j, plane, wp2, wk, C, yk + j, rowLength);
                        else Kernel512<OneVector>(xpad + j, plane, wp2, wk, C, yk + j, rowLength);
                    }
                }
                Unpad(ypw, rowLength, Y + (long)n * K * H * W, Bias, K, H, W, Accumulate, Relu);
            }
        }
    }

    /// <summary>
    /// Copies image x (C, H, W) into the middle of xpad (C, H+2, W+2) and zeroes the border and the slack. Only the
    /// border is written besides the copy: clearing the whole plane first cost as much as the copy itself.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void PadImage(float* x, float* xpad, int c, int h, int w, int xLength)
    {
        int wp2 = w + 2, plane = (h + 2) * wp2;
        for (int ci = 0; ci < c; ci++)
        {
            float* dst = xpad + (long)ci * plane;
            new Span<float>(dst, wp2 + 1).Clear();
            for (int hi = 0; hi < h; hi++)
            {
                float* row = dst + (hi + 1) * wp2;
                CopyShort(x + ((long)ci * h + hi) * w, row + 1, w);
                row[w + 1] = 0;
                row[wp2] = 0;
            }
            new Span<float>(dst + (h + 1) * wp2, wp2).Clear();
        }
        new Span<float>(xpad + (long)c * plane, xLength - c * plane).Clear();
    }

    /// <summary>Writes (or adds) the first W of every W+2 columns of ypw rows into y (K, H, W), as <see cref="StoreOutputRow"/>.</summary>
    private static void Unpad(float* ypw, int rowLength, float* y, float* bias, int k, int h, int w, bool accumulate, bool relu)
    {
        int wp2 = w + 2;
        for (int ki = 0; ki < k; ki++)
            for (int hi = 0; hi < h; hi++)
            {
                var src = new ReadOnlySpan<float>(ypw + (long)ki * rowLength + hi * wp2, w);
                var dst = new Span<float>(y + ((long)ki * h + hi) * w, w);
                StoreOutputRow(src, dst, bias == null ? 0f : bias[ki], accumulate, relu);
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
    /// one load per vector and 8 broadcasts per filter tap): the same FMA chain per output at every width.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    private static void Kernel512<TWidth>(float* x, int plane, int wp2, float* wk, int c, float* y, int rowLength)
        where TWidth : struct, IPositionVectors
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default, d6 = default, d7 = default;
        bool two = TWidth.Count >= 2, three = TWidth.Count == 3;
        for (int ci = 0; ci < c; ci++)
        {
            float* xc = x + (long)ci * plane;
            float* wc = wk + ci * 9 * DirectKB;
            for (int r = 0; r < 3; r++)
            {
                for (int s = 0; s < 3; s++)
                {
                    float* src = xc + r * wp2 + s;
                    var v0 = Vector512.Load(src);
                    var v1 = two ? Vector512.Load(src + 16) : default;
                    var v2 = three ? Vector512.Load(src + 32) : default;
                    float* t = wc + (r * 3 + s) * DirectKB;
                    var w = Vector512.Create(t[0]); a0 = Vector512.FusedMultiplyAdd(v0, w, a0); if (two) b0 = Vector512.FusedMultiplyAdd(v1, w, b0); if (three) d0 = Vector512.FusedMultiplyAdd(v2, w, d0);
                    w = Vector512.Create(t[1]); a1 = Vector512.FusedMultiplyAdd(v0, w, a1); if (two) b1 = Vector512.FusedMultiplyAdd(v1, w, b1); if (three) d1 = Vector512.FusedMultiplyAdd(v2, w, d1);
                    w = Vector512.Create(t[2]); a2 = Vector512.FusedMultiplyAdd(v0, w, a2); if (two) b2 = Vector512.FusedMultiplyAdd(v1, w, b2); if (three) d2 = Vector512.FusedMultiplyAdd(v2, w, d2);
                    w = Vector512.Create(t[3]); a3 = Vector512.FusedMultiplyAdd(v0, w, a3); if (two) b3 = Vector512.FusedMultiplyAdd(v1, w, b3); if (three) d3 = Vector512.FusedMultiplyAdd(v2, w, d3);
                    w = Vector512.Create(t[4]); a4 = Vector512.FusedMultiplyAdd(v0, w, a4); if (two) b4 = Vector512.FusedMultiplyAdd(v1, w, b4); if (three) d4 = Vector512.FusedMultiplyAdd(v2, w, d4);
                    w = Vector512.Create(t[5]); a5 = Vector512.FusedMultiplyAdd(v0, w, a5); if (two) b5 = Vector512.FusedMultiplyAdd(v1, w, b5); if (three) d5 = Vector512.FusedMultiplyAdd(v2, w, d5);
                    w = Vector512.Create(t[6]); a6 = Vector512.FusedMultiplyAdd(v0, w, a6); if (two) b6 = Vector512.FusedMultiplyAdd(v1, w, b6); if (three) d6 = Vector512.FusedMultiplyAdd(v2, w, d6);
                    w = Vector512.Create(t[7]); a7 = Vector512.FusedMultiplyAdd(v0, w, a7); if (two) b7 = Vector512.FusedMultiplyAdd(v1, w, b7); if (three) d7 = Vector512.FusedMultiplyAdd(v2, w, d7);
                }
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

    /// <summary>8 output channels × 8 flat positions: 8 accumulators (AVX2 has 16 registers), same order as <see cref="Kernel512"/>.</summary>
    [MethodImpl(Inlining.HotPath)]
    private static void Kernel256(float* x, int plane, int wp2, float* wk, int c, float* y, int rowLength)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int ci = 0; ci < c; ci++)
        {
            float* xc = x + (long)ci * plane;
            float* wc = wk + ci * 9 * DirectKB;
            for (int r = 0; r < 3; r++)
            {
                for (int s = 0; s < 3; s++)
                {
                    var v = Vector256.Load(xc + r * wp2 + s);
                    float* t = wc + (r * 3 + s) * DirectKB;
                    a0 = Vector256.FusedMultiplyAdd(v, Vector256.Create(t[0]), a0);
                    a1 = Vector256.FusedMultiplyAdd(v, Vector256.Create(t[1]), a1);
                    a2 = Vector256.FusedMultiplyAdd(v, Vector256.Create(t[2]), a2);
                    a3 = Vector256.FusedMultiplyAdd(v, Vector256.Create(t[3]), a3);
                    a4 = Vector256.FusedMultiplyAdd(v, Vector256.Create(t[4]), a4);
                    a5 = Vector256.FusedMultiplyAdd(v, Vector256.Create(t[5]), a5);
                    a6 = Vector256.FusedMultiplyAdd(v, Vector256.Create(t[6]), a6);
                    a7 = Vector256.FusedMultiplyAdd(v, Vector256.Create(t[7]), a7);
                }
            }
        }
        a0.Store(y); a1.Store(y + rowLength); a2.Store(y + 2 * rowLength); a3.Store(y + 3 * rowLength);
        a4.Store(y + 4 * rowLength); a5.Store(y + 5 * rowLength); a6.Store(y + 6 * rowLength); a7.Store(y + 7 * rowLength);
    }
}
