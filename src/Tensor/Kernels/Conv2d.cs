using NanoFed.Threading;

namespace NanoFed.Kernels;

/// <summary>
/// 2-D convolution (cross-correlation, as in PyTorch) on NCHW tensors, built on <see cref="Gemm.Sgemm"/>.
/// The batch is cut into groups of images (one image when P·Q is large; several when the output plane is small,
/// so that every GEMM has at least <see cref="TargetColumns"/> columns). A group is unfolded by im2col into a
/// (C·R·S) × (images·P·Q) matrix in a per-thread scratch buffer and multiplied by w[K, C·R·S]; a single-image
/// group of a 1×1 stride-1 unpadded convolution uses the image itself. Groups run in parallel through
/// <see cref="Workers.For{TBody}"/> (each GEMM then runs on one thread); a single group runs on the caller so the
/// GEMM can use the workers itself. Results do not depend on <see cref="Workers.Count"/>. The 3×3 stride-1
/// pad-1 layers of moderate width (ResNet's) run direct kernels instead (Conv2d.Direct.cs, Conv2d.DirectWeight.cs),
/// as do the forward and backward-data of its stride-2 layers (on four even/odd phases); its 32- and 64-channel
/// layers at batch 32+ run Winograd F(2×2, 3×3) with 16 images in the vector lanes (Conv2d.WinogradLanes.cs),
/// the wide ones (VGG's, 128+ channels) Winograd F(2×2, 3×3) (Conv2d.Winograd.cs),
/// and backward-data of stride-1 layers runs as a forward convolution with flipped filters where that measured faster.
/// Shapes: x (N, C, H, W), w (K, C, R, S), bias (K) or empty, y (N, K, P, Q).
/// </summary>
public static unsafe partial class Conv2d
{
    /// <summary>Fewest GEMM columns (images·P·Q) a group aims for: below that, packing w costs more than the multiply.</summary>
    private const int TargetColumns = 256;

    /// <summary>
    /// Overwrites y (N, K, P, Q) with conv2d(x (N, C, H, W), w (K, C, R, S)) + bias (K); an empty bias means none.
    /// With <paramref name="relu"/>, y = max(conv2d + bias, 0), applied while each output block is still in cache
    /// (inference with batch norm folded into w and bias).
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        Span<float> y, in Conv2dGeometry g, bool relu = false)
    {
        g.CheckLengths("forward", x.Length, w.Length, bias.Length, y.Length);
        fixed (float* px = x, pw = w, pb = bias, py = y) ForwardCore(px, pw, bias.IsEmpty ? null : pb, py, g, accumulate: false, relu);
    }

    /// <summary>
    /// Forward on pinned buffers: overwrites y (then max(·, 0) when <paramref name="relu"/>), or adds into it when
    /// <paramref name="accumulate"/> (then bias must be null and relu false).
    /// </summary>
    private static void ForwardCore(float* x, float* w, float* bias, float* y, in Conv2dGeometry g, bool accumulate, bool relu = false)
    {
        if (UseWinogradSmall(g))
        {
            ForwardWinogradSmall(x, w, bias, y, g, accumulate, relu);
            return;
        }
        if (UseWinogradLanes(g))
        {
            ForwardWinogradLanes(x, w, bias, y, g, accumulate, relu);
            return;
        }
        if (UseDirect3x3(g) || UseDirectStride2(g))
        {
            ForwardDirect3x3(x, w, bias, y, g, accumulate, relu);
            return;
        }
        if (UseWinograd(g))
        {
            ForwardWinograd(x, w, bias, y, g, accumulate, tile: 2, relu: relu);
            return;
        }
        var body = new ForwardBody { X = x, Wt = w, Bias = bias, Y = y, G = g, Group = ImagesPerGroup(g), Accumulate = accumulate, Relu = relu };
        ForEachGroup(GroupCount(g, body.Group), ref body);
    }

    /// <summary>Images per group: 1 when P·Q reaches <see cref="TargetColumns"/>, else enough to reach it (at most N).</summary>
    private static int ImagesPerGroup(in Conv2dGeometry g)
    {
        int pq = g.P * g.Q;
        return pq >= TargetColumns ? 1 : Math.Min(g.N, (TargetColumns + pq - 1) / pq);
    }

    private static int GroupCount(in Conv2dGeometry g, int group) => (g.N + group - 1) / group;

    /// <summary>Runs body over the groups: in parallel, or on the caller for a single group (so GEMM may use the workers).</summary>
    private static void ForEachGroup<TBody>(int groups, ref TBody body) where TBody : struct, IParallelBody
    {
        if (groups == 1) body.Invoke(0);
        else Workers.For(groups, in body);
    }

    /// <summary>Unfolds images [first, first + count) side by side into col (C·R·S × count·P·Q).</summary>
    private static void Im2colGroup(float* x, int first, int count, float* col, in Conv2dGeometry g)
    {
        int pq = g.P * g.Q, chw = g.C * g.H * g.W;
        for (int i = 0; i < count; i++) Im2col(x + (long)(first + i) * chw, col + i * pq, count * pq, g);
    }

    /// <summary>Copies dY of images [first, first + count) into dYg (K × count·P·Q), image i in columns [i·P·Q, (i+1)·P·Q).</summary>
    private static void GatherGroup(float* dY, int first, int count, float* dYg, in Conv2dGeometry g)
    {
        int pq = g.P * g.Q, K = g.K;
        for (int i = 0; i < count; i++)
            for (int k = 0; k < K; k++)
                new ReadOnlySpan<float>(dY + ((long)(first + i) * K + k) * pq, pq).CopyTo(new Span<float>(dYg + ((long)k * count + i) * pq, pq));
    }

    /// <summary>
    /// Writes one output row: dst += src when <paramref name="accumulate"/>, else dst = src + bias, or
    /// max(src + bias, 0) with <paramref name="relu"/> (adding a zero bias leaves src's bits unchanged).
    /// </summary>
    private static void StoreOutputRow(ReadOnlySpan<float> src, Span<float> dst, float bias, bool accumulate, bool relu)
    {
        if (accumulate) System.Numerics.Tensors.TensorPrimitives.Add(dst, src, dst);
        else if (relu) ElementWise.Unary(new Kernels.Relu.BiasReluOperator(bias), src, dst);
        else if (bias == 0f) src.CopyTo(dst);
        else System.Numerics.Tensors.TensorPrimitives.Add(src, bias, dst);
    }

    private struct ForwardBody : IParallelBody
    {
        public float* X, Wt, Bias, Y;
        public Conv2dGeometry G;
        public int Group;
        public bool Accumulate, Relu;

        public readonly void Invoke(int group)
        {
            int first = group * Group, count = Math.Min(Group, G.N - first);
            int K = G.K, crs = G.Crs, pq = G.P * G.Q, cols = count * pq;
            var wSpan = new ReadOnlySpan<float>(Wt, K * crs);
            if (count == 1)
            {
                // One image: GEMM straight into y_n, with y_n preset to the bias when there is one.
                float* y = Y + (long)first * K * pq;
                float* x = X + (long)first * G.C * G.H * G.W;
                float beta = Accumulate ? 1 : 0;
                if (Bias != null)
                {
                    for (int k = 0; k < K; k++) new Span<float>(y + (long)k * pq, pq).Fill(Bias[k]);
                    beta = 1;
                }
                var yn = new Span<float>(y, K * pq);
                if (G.IsPointwise)
                {
                    Gemm.Sgemm(Transpose.No, Transpose.No, K, pq, crs, 1, wSpan, crs, new ReadOnlySpan<float>(x, crs * pq), pq, beta, yn, pq);
                }
                else
                {
                    fixed (float* col = ColScratch(crs * pq))
                    {
                        Im2col(x, col, pq, G);
                        Gemm.Sgemm(Transpose.No, Transpose.No, K, pq, crs, 1, wSpan, crs, new ReadOnlySpan<float>(col, crs * pq), pq, beta, yn, pq);
                    }
                }
                // One image's output is still in cache here, so the ReLU costs no extra trip to memory.
                if (Relu) Kernels.Relu.Forward(yn, yn);
                return;
            }
            // Several images: yg (K × count·P·Q) = w · col, then scattered to y (N, K, P, Q) with the bias added.
            fixed (float* col = ColScratch(crs * cols + K * cols))
            {
                float* yg = col + (long)crs * cols;
                Im2colGroup(X, first, count, col, G);
                Gemm.Sgemm(Transpose.No, Transpose.No, K, cols, crs, 1, wSpan, crs, new ReadOnlySpan<float>(col, crs * cols), cols, 0, new Span<float>(yg, K * cols), cols);
                for (int i = 0; i < count; i++)
                {
                    for (int k = 0; k < K; k++)
                    {
                        var src = new ReadOnlySpan<float>(yg + ((long)k * count + i) * pq, pq);
                        var dst = new Span<float>(Y + ((long)(first + i) * K + k) * pq, pq);
                        StoreOutputRow(src, dst, Bias == null ? 0f : Bias[k], Accumulate, Relu);
                    }
                }
            }
        }
    }
}
