using NanoFed.Threading;

namespace NanoFed.Kernels;

/// <summary>The second pass of batch normalization: y in the forward, dX in the backward, over fixed ranges of images.</summary>
public static unsafe partial class BatchNorm2d
{
    /// <summary>y = x · scale_c + offset_c (then the ReLU) over the images of one item, in memory order.</summary>
    private struct NormalizeBody : IParallelBody
    {
        public float* X, Y, Scale, Offset;
        public int N, C, HW;
        public bool Relu;

        public readonly void Invoke(int item)
        {
            int i0 = item * ImagesPerItem(N), i1 = Math.Min(N, i0 + ImagesPerItem(N));
            for (long row = (long)i0 * C; row < (long)i1 * C; row++)
            {
                int ch = (int)(row % C);
                var x = new ReadOnlySpan<float>(X + row * HW, HW);
                var y = new Span<float>(Y + row * HW, HW);
                var op = new ScaleShiftOperator(Scale[ch], Offset[ch]);
                if (Relu) ElementWise.Unary(new ScaleShiftReluOperator(op), x, y);
                else ElementWise.Unary(op, x, y);
            }
        }
    }

    /// <summary>
    /// dX (+)= a_c · g + (b_c · (x − μ_c) + k_c) over the images of one item, in memory order, where g is dY gated as
    /// <see cref="Gate"/> says: as is, by the ReLU output, or by the pre-activation x · scale_c + offset_c.
    /// </summary>
    private struct DataBody : IParallelBody
    {
        /// <summary>One row of masked dY when dX is accumulated after a fused ReLU (four inputs): per thread, grown as needed.</summary>
        [ThreadStatic]
        private static float[]? t_maskedRow;

        public float* X, DY, DX, ReluOutput, Mean, A, B, K, Scale, Offset;
        public int N, C, HW;
        public bool Overwrite;
        public MomentsKind Gate;

        public readonly void Invoke(int item)
        {
            int i0 = item * ImagesPerItem(N), i1 = Math.Min(N, i0 + ImagesPerItem(N));
            for (long row = (long)i0 * C; row < (long)i1 * C; row++)
            {
                int ch = (int)(row % C);
                var op = new BackwardDataOperator(A[ch], B[ch], Mean[ch], K[ch]);
                var dy = new ReadOnlySpan<float>(DY + row * HW, HW);
                var x = new ReadOnlySpan<float>(X + row * HW, HW);
                var dx = new Span<float>(DX + row * HW, HW);
                switch (Gate)
                {
                    case MomentsKind.Gradient:
                        Row(op, dy, x, dx);
                        break;
                    case MomentsKind.PreActivationMaskedGradient:
                        var mask = new ScaleShiftMaskOperator(new ScaleShiftOperator(Scale[ch], Offset[ch]));
                        Row(new ScaleShiftMaskedDataOperator(mask, op), dy, x, dx);
                        break;
                    default:
                        var relu = new ReadOnlySpan<float>(ReluOutput + row * HW, HW);
                        if (Overwrite)
                        {
                            ElementWise.Ternary(new MaskedBackwardDataOperator(op), relu, dy, x, dx);
                            break;
                        }
                        var masked = Grow(ref t_maskedRow, HW).AsSpan(0, HW);
                        ElementWise.Binary(default(Relu.MaskOperator), relu, dy, masked);
                        ElementWise.Ternary(op, masked, x, dx, dx);
                        break;
                }
            }
        }

        /// <summary>dX = op(dY, x), or dX += op(dY, x) in the operator's accumulate form.</summary>
        private readonly void Row<TOp>(in TOp op, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dx)
            where TOp : struct, IBinaryOperator, ITernaryOperator
        {
            if (Overwrite) ElementWise.Binary(op, dy, x, dx);
            else ElementWise.Ternary(op, dy, x, dx, dx);
        }
    }
}
