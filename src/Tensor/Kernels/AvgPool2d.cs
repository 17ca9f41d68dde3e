using NanoFed.Threading;

namespace NanoFed.Kernels;

/// <summary>
/// 2-D average pooling on NCHW tensors with PyTorch's defaults (ceil_mode=False, count_include_pad=True):
/// every window is divided by KernelH·KernelW, padding counting as zeros. Planes run in parallel and each
/// writes only its own outputs, so results do not depend on the thread count.
/// Shapes: x, dX (N, C, H, W); y, dY (N, C, P, Q).
/// </summary>
public static unsafe class AvgPool2d
{
    /// <summary>Overwrites y[n, c, p, q] with the sum of x over the window, row-major order, times 1 / (KernelH·KernelW).</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, in Pool2dGeometry g)
    {
        g.CheckLengths("avg-pool forward", x.Length, y.Length);
        fixed (float* px = x, py = y)
        {
            var body = new Body { X = px, Y = py, G = g, PlanesPerItem = g.PlanesPerItem, Backward = false };
            Workers.For((g.N * g.C + body.PlanesPerItem - 1) / body.PlanesPerItem, in body);
        }
    }

    /// <summary>Accumulates dX[n, c, h, w] += dY[n, c, p, q] / (KernelH·KernelW) for every window (p, q) that covers (h, w).</summary>
    public static void Backward(ReadOnlySpan<float> dY, Span<float> dX, in Pool2dGeometry g)
    {
        g.CheckLengths("avg-pool backward", dX.Length, dY.Length);
        fixed (float* pdy = dY, pdx = dX)
        {
            var body = new Body { X = pdx, Y = pdy, G = g, PlanesPerItem = g.PlanesPerItem, Backward = true };
            Workers.For((g.N * g.C + body.PlanesPerItem - 1) / body.PlanesPerItem, in body);
        }
    }

    /// <summary>The reference of <see cref="Forward"/>: the definition as a plain serial loop.</summary>
    public static void ForwardReference(ReadOnlySpan<float> x, Span<float> y, in Pool2dGeometry g)
    {
        g.CheckLengths("avg-pool forward", x.Length, y.Length);
        int P = g.P, Q = g.Q, hw = g.H * g.W;
        float scale = 1f / (g.KernelH * g.KernelW);
        for (int plane = 0; plane < g.N * g.C; plane++)
        for (int p = 0; p < P; p++)
        for (int q = 0; q < Q; q++)
        {
            float sum = 0;
            for (int i = 0; i < g.KernelH; i++)
            for (int j = 0; j < g.KernelW; j++)
            {
                int h = p * g.StrideH - g.PadH + i, w = q * g.StrideW - g.PadW + j;
                if ((uint)h < (uint)g.H && (uint)w < (uint)g.W) sum += x[plane * hw + h * g.W + w];
            }
            y[(plane * P + p) * Q + q] = sum * scale;
        }
    }

    /// <summary>The reference of <see cref="Backward"/>: a plain serial scatter.</summary>
    public static void BackwardReference(ReadOnlySpan<float> dY, Span<float> dX, in Pool2dGeometry g)
    {
        g.CheckLengths("avg-pool backward", dX.Length, dY.Length);
        int P = g.P, Q = g.Q, hw = g.H * g.W;
        float scale = 1f / (g.KernelH * g.KernelW);
        for (int plane = 0; plane < g.N * g.C; plane++)
        for (int p = 0; p < P; p++)
        for (int q = 0; q < Q; q++)
        {
            float d = dY[(plane * P + p) * Q + q] * scale;
            for (int i = 0; i < g.KernelH; i++)
            for (int j = 0; j < g.KernelW; j++)
            {
                int h = p * g.StrideH - g.PadH + i, w = q * g.StrideW - g.PadW + j;
                if ((uint)h < (uint)g.H && (uint)w < (uint)g.W) dX[plane * hw + h * g.W + w] += d;
            }
        }
    }

    /// <summary>Forward (X → Y) or backward (Y is dY, X is dX) over a block of planes, in the reference's order.</summary>
    private struct Body : IParallelBody
    {
        public float* X, Y;
        public Pool2dGeometry G;
        public int PlanesPerItem;
        public bool Backward;

        public readonly void Invoke(int item)
        {
            int P = G.P, Q = G.Q, hw = G.H * G.W, W = G.W;
            float scale = 1f / (G.KernelH * G.KernelW);
            int first = item * PlanesPerItem, last = Math.Min(G.N * G.C, first + PlanesPerItem);
            for (int plane = first; plane < last; plane++)
            {
                float* x = X + (long)plane * hw;
                float* y = Y + (long)plane * P * Q;
                for (int p = 0; p < P; p++)
                {
                    G.RowRange(p, out int h0, out int h1);
                    for (int q = 0; q < Q; q++)
                    {
                        G.ColumnRange(q, out int w0, out int w1);
                        if (Backward)
                        {
                            float d = y[p * Q + q] * scale;
                            for (int h = h0; h < h1; h++)
                                for (int w = w0; w < w1; w++) x[h * W + w] += d;
                            continue;
                        }
                        float sum = 0;
                        for (int h = h0; h < h1; h++)
                            for (int w = w0; w < w1; w++) sum += x[h * W + w];
                        y[p * Q + q] = sum * scale;
                    }
                }
            }
        }
    }
}
