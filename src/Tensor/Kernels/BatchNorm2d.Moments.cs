using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NanoFed.Threading;

namespace NanoFed.Kernels;

/// <summary>
/// The one reduction of batch normalization: both sums a channel needs (forward: Σ(x − K) and Σ(x − K)²; backward:
/// Σ dY and Σ dY · (x − μ)) in one pass over its rows.
/// </summary>
public static unsafe partial class BatchNorm2d
{
    /// <summary>
    /// Values added in float before the lanes are flushed into double: short rows (8x8 planes) share a block, so the
    /// flush is paid once per 1,024 values or more, and long rows are cut, so no lane adds more than about 128 floats.
    /// </summary>
    internal const int BlockLength = 1024;

    /// <summary>
    /// What <see cref="MomentsBody"/> sums as u: x − K (forward), dY, dY masked by the ReLU output, or dY masked by the
    /// pre-activation x · scale + offset.
    /// </summary>
    private enum MomentsKind
    {
        Forward,
        Gradient,
        MaskedGradient,
        PreActivationMaskedGradient,
    }

    /// <summary>
    /// Writes one item's two sums per channel c, (Σ u, Σ u · (x − shift_c)) over its images, to Sums[2 (item · C + c)]
    /// and the next element. P, Q, X: (N, C, H, W); Shift, and Scale and Offset for the pre-activation mask: (C).
    /// </summary>
    private struct MomentsBody : IParallelBody
    {
        public float* P, Q, X, Shift, Scale, Offset;
        public double* Sums;
        public int N, C, HW;
        public MomentsKind Kind;

        public readonly void Invoke(int item)
        {
            int i0 = item * ImagesPerItem(N), i1 = Math.Min(N, i0 + ImagesPerItem(N));
            ItemMoments(this, i0, i1, Sums + 2L * item * C);
        }

        /// <summary>Adds row block [at, at + length) of channel <paramref name="ch"/> into its lanes, u made as <see cref="Kind"/> says.</summary>
        public readonly void AccumulateRow(int ch, long at, int length, float* lanes)
        {
            float* p = P + at, q = Q + at, x = X + at;
            float shift = Shift[ch];
            switch (Kind)
            {
                case MomentsKind.Forward: BatchNorm2d.AccumulateRow(new DifferenceOperator(shift), p, q, x, shift, length, lanes); break;
                case MomentsKind.Gradient: BatchNorm2d.AccumulateRow(new IdentityOperator(), p, q, x, shift, length, lanes); break;
                case MomentsKind.MaskedGradient: BatchNorm2d.AccumulateRow(default(Relu.MaskOperator), p, q, x, shift, length, lanes); break;
                default:
                    var mask = new ScaleShiftMaskOperator(new ScaleShiftOperator(Scale[ch], Offset[ch]));
                    BatchNorm2d.AccumulateRow(mask, p, q, x, shift, length, lanes);
                    break;
            }
        }
    }

    /// <summary>Per calling thread: the float lanes, double totals and pending counts of every channel of one item.</summary>
    [ThreadStatic]
    private static float[]? t_lanes;

    [ThreadStatic]
    private static double[]? t_totals;

    [ThreadStatic]
    private static int[]? t_pending;

    /// <summary>
    /// Writes (Σ u, Σ u · (x − shift)) of every channel over images [i0, i1) to sums[2c], sums[2c + 1]; p, q, x:
    /// (N, C, H, W). Bit-identical on every ISA (STYLE rule 12): per channel, 16 fixed logical lanes per sum, lane j
    /// taking the elements ≡ j (mod 16) of each row's full blocks of 16 and then the row's tail element full + j; the
    /// lanes add rows in increasing n in float until <see cref="BlockLength"/> values or more are in, then are added
    /// into 16 double lanes, and a fixed tree (8, 4, 2, 1) adds those. Rows longer than a block are cut into blocks
    /// (each its own row for the tail rule). The rows are visited in memory order, image by image, each channel
    /// keeping its own lanes: a channel at a time jumped a whole image between rows, and every 4 KB row (a page)
    /// started the prefetcher afresh.
    /// </summary>
    private static void ItemMoments(in MomentsBody b, int i0, int i1, double* sums)
    {
        int c = b.C, hw = b.HW;
        fixed (float* lanes = Grow(ref t_lanes, 32 * c))
        fixed (double* totals = Grow(ref t_totals, 32 * c))
        fixed (int* pending = Grow(ref t_pending, c))
        {
            new Span<float>(lanes, 32 * c).Clear();
            new Span<double>(totals, 32 * c).Clear();
            new Span<int>(pending, c).Clear();
            for (int i = i0; i < i1; i++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    long offset = ((long)i * c + ch) * hw;
                    float* chLanes = lanes + 32 * ch;
                    // A long row is cut into blocks (multiples of 16, so each element keeps its lane).
                    for (int start = 0; start < hw; start += BlockLength)
                    {
                        int length = Math.Min(BlockLength, hw - start);
                        b.AccumulateRow(ch, offset + start, length, chLanes);
                        pending[ch] += length;
                        if (pending[ch] < BlockLength) continue;
                        Flush(chLanes, totals + 32 * ch);
                        pending[ch] = 0;
                    }
                }
            }
            for (int ch = 0; ch < c; ch++)
            {
                double* t = totals + 32 * ch;
                Flush(lanes + 32 * ch, t);
                AddTree(t);
                sums[2 * ch] = t[0];
                sums[2 * ch + 1] = t[16];
            }
        }
    }

    /// <summary>Adds each sum's 16 double lanes by the fixed tree (8, 4, 2, 1): totals[0] and totals[16] end as the two sums.</summary>
    internal static void AddTree(double* totals)
    {
        for (int width = 8; width >= 1; width >>= 1)
        {
            for (int j = 0; j < width; j++)
            {
                totals[j] += totals[j + width];
                totals[16 + j] += totals[16 + j + width];
            }
        }
    }

    /// <summary>Adds the 32 float lanes into the double totals and clears them.</summary>
    internal static void Flush(float* lanes, double* totals)
    {
        for (int j = 0; j < 32; j++)
        {
            totals[j] += lanes[j];
            lanes[j] = 0;
        }
    }

    /// <summary>
    /// Adds one row of <paramref name="length"/> elements into the float lanes: lanes[j] += u, lanes[16 + j] +=
    /// u · (x − shift) for the elements of lane j (see <see cref="ItemMoments"/>).
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    internal static void AccumulateRow<TOp>(in TOp op, float* p, float* q, float* x, float shift, int length, float* lanes)
        where TOp : struct, IBinaryOperator
    {
        int full = length & ~15;
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512.Create(shift);
            Vector512<float> su = Vector512.Load(lanes), sv = Vector512.Load(lanes + 16);
            for (int i = 0; i < full; i += 16)
            {
                var u = op.Invoke(Vector512.Load(p + i), Vector512.Load(q + i));
                su += u;
                sv += u * (Vector512.Load(x + i) - s);
            }
            su.Store(lanes);
            sv.Store(lanes + 16);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            // The narrower widths sweep the row once per group of lanes: each lane still adds its own elements in order.
            var s = Vector256.Create(shift);
            for (int k = 0; k < 16; k += 8)
            {
                Vector256<float> su = Vector256.Load(lanes + k), sv = Vector256.Load(lanes + 16 + k);
                for (int i = k; i < full; i += 16)
                {
                    var u = op.Invoke(Vector256.Load(p + i), Vector256.Load(q + i));
                    su += u;
                    sv += u * (Vector256.Load(x + i) - s);
                }
                su.Store(lanes + k);
                sv.Store(lanes + 16 + k);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var s = Vector128.Create(shift);
            for (int k = 0; k < 16; k += 4)
            {
                Vector128<float> su = Vector128.Load(lanes + k), sv = Vector128.Load(lanes + 16 + k);
                for (int i = k; i < full; i += 16)
                {
                    var u = op.Invoke(Vector128.Load(p + i), Vector128.Load(q + i));
                    su += u;
                    sv += u * (Vector128.Load(x + i) - s);
                }
                su.Store(lanes + k);
                sv.Store(lanes + 16 + k);
            }
        }
        else
        {
            for (int k = 0; k < 16; k++) AccumulateLane(op, p, q, x, shift, k, full, 16, lanes + k);
        }
        for (int j = 0; full + j < length; j++) AccumulateLane(op, p, q, x, shift, full + j, full + j + 1, 1, lanes + j);
    }

    /// <summary>Adds the elements start, start + step, … below end into lanes[0] and lanes[16], as one scalar lane.</summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void AccumulateLane<TOp>(in TOp op, float* p, float* q, float* x, float shift, int start, int end, int step,
        float* lanes) where TOp : struct, IBinaryOperator
    {
        float su = lanes[0], sv = lanes[16];
        for (int i = start; i < end; i += step)
        {
            float u = op.Invoke(p[i], q[i]);
            su += u;
            sv += u * (x[i] - shift);
        }
        lanes[0] = su;
        lanes[16] = sv;
    }
}
