using NanoFed.Threading;

namespace NanoFed.Kernels;

/// <summary>
/// 2-D convolution (cross-correlation, as in PyTorch) on NCHW tensors, built on <see cref="Gemm.Sgemm"/>:
/// each image is unfolded by im2col into a (C·R·S) × (P·Q) matrix in a per-thread scratch buffer, and
/// y_n[K, P·Q] = w[K, C·R·S] · col_n. A 1×1 stride-1 unpadded convolution uses the image itself as col.
/// Images run in parallel through <see cref="Workers.For{TBody}"/> (each GEMM then runs on one thread); a
/// batch of one image runs on the caller so the GEMM can use the workers itself. Results do not depend on
/// <see cref="Workers.Count"/>. Shapes: x (N, C, H, W), w (K, C, R, S), bias (K) or empty, y (N, K, P, Q).
/// </summary>
public static unsafe partial class Conv2d
{
    /// <summary>
    /// Overwrites y (N, K, P, Q) with conv2d(x (N, C, H, W), w (K, C, R, S)) + bias (K); an empty bias means none.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        Span<float> y, in Conv2dGeometry g)
    {
        g.CheckLengths("forward", x.Length, w.Length, bias.Length, y.Length);
        fixed (float* px = x, pw = w, pb = bias, py = y)
        {
            var body = new ForwardBody { X = px, Wt = pw, Bias = bias.IsEmpty ? null : pb, Y = py, G = g };
            ForEachImage(g.N, ref body);
        }
    }

    /// <summary>Runs body over the images: in parallel, or on the caller for a single image (so GEMM may use the workers).</summary>
    private static void ForEachImage<TBody>(int n, ref TBody body) where TBody : struct, IParallelBody
    {
        if (n == 1) body.Invoke(0);
        else Workers.For(n, in body);
    }

    private struct ForwardBody : IParallelBody
    {
        public float* X, Wt, Bias, Y;
        public Conv2dGeometry G;

        public readonly void Invoke(int n)
        {
            int K = G.K, crs = G.Crs, pq = G.P * G.Q;
            float* y = Y + (long)n * K * pq;
            float* x = X + (long)n * G.C * G.H * G.W;
            float beta = 0;
            if (Bias != null)
            {
                for (int k = 0; k < K; k++) new Span<float>(y + (long)k * pq, pq).Fill(Bias[k]);
                beta = 1;
            }
            var ySpan = new Span<float>(y, K * pq);
            var wSpan = new ReadOnlySpan<float>(Wt, K * crs);
            if (G.IsPointwise)
            {
                Gemm.Sgemm(Transpose.No, Transpose.No, K, pq, crs, 1, wSpan, crs, new ReadOnlySpan<float>(x, crs * pq), pq, beta, ySpan, pq);
                return;
            }
            fixed (float* col = ColScratch(crs * pq))
            {
                Im2col(x, col, G);
                Gemm.Sgemm(Transpose.No, Transpose.No, K, pq, crs, 1, wSpan, crs, new ReadOnlySpan<float>(col, crs * pq), pq, beta, ySpan, pq);
            }
        }
    }
}
