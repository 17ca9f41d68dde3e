using NanoFed.Threading;

namespace NanoFed.Kernels;

/// <summary>
/// 2-D max pooling on NCHW tensors (PyTorch's max_pool2d with ceil_mode=False): padding never wins, ties go to
/// the first element in row-major window order, NaN wins. Forward saves each output's argmax (its index
/// h·W + w inside the input plane, as a float, exact below 2²⁴) for backward, which scatters dY there.
/// Planes run in parallel; each writes only its own outputs, so results do not depend on the thread count.
/// Shapes: x, dX (N, C, H, W); y, argmax, dY (N, C, P, Q).
/// </summary>
public static unsafe partial class MaxPool2d
{
    /// <summary>Overwrites y with the window maxima of x and argmax with their positions in the input plane.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<float> argmax, in Pool2dGeometry g)
    {
        g.CheckLengths("max-pool forward", x.Length, y.Length);
        CheckArgmax(argmax.Length, g);
        fixed (float* px = x, py = y, pa = argmax)
        {
            var body = new ForwardBody { X = px, Y = py, Argmax = pa, G = g, PlanesPerItem = g.PlanesPerItem };
            Workers.For((g.N * g.C + body.PlanesPerItem - 1) / body.PlanesPerItem, in body);
        }
    }

    /// <summary>Accumulates dX[n, c, argmax[n, c, p, q]] += dY[n, c, p, q] for every output, in (p, q) order.</summary>
    public static void Backward(ReadOnlySpan<float> dY, ReadOnlySpan<float> argmax, Span<float> dX, in Pool2dGeometry g)
    {
        g.CheckLengths("max-pool backward", dX.Length, dY.Length);
        CheckArgmax(argmax.Length, g);
        fixed (float* pdy = dY, pa = argmax, pdx = dX)
        {
            var body = new BackwardBody { DY = pdy, Argmax = pa, DX = pdx, G = g, PlanesPerItem = g.PlanesPerItem };
            Workers.For((g.N * g.C + body.PlanesPerItem - 1) / body.PlanesPerItem, in body);
        }
    }

    /// <summary>The reference of <see cref="Forward"/>: the same definition as a plain serial loop over every window.</summary>
    public static void ForwardReference(ReadOnlySpan<float> x, Span<float> y, Span<float> argmax, in Pool2dGeometry g)
    {
        g.CheckLengths("max-pool forward", x.Length, y.Length);
        CheckArgmax(argmax.Length, g);
        int P = g.P, Q = g.Q, hw = g.H * g.W;
        for (int plane = 0; plane < g.N * g.C; plane++)
        for (int p = 0; p < P; p++)
        for (int q = 0; q < Q; q++)
        {
            float best = float.NegativeInfinity;
            int at = -1;
            for (int i = 0; i < g.KernelH; i++)
            for (int j = 0; j < g.KernelW; j++)
            {
                int h = p * g.StrideH - g.PadH + i, w = q * g.StrideW - g.PadW + j;
                if ((uint)h >= (uint)g.H || (uint)w >= (uint)g.W) continue;
                float v = x[plane * hw + h * g.W + w];
                if (at < 0 || v > best || float.IsNaN(v)) { best = v; at = h * g.W + w; }
                if (float.IsNaN(v)) goto done;
            }
        done:
            y[(plane * P + p) * Q + q] = best;
            argmax[(plane * P + p) * Q + q] = at;
        }
    }

    /// <summary>The reference of <see cref="Backward"/>: a plain serial scatter.</summary>
    public static void BackwardReference(ReadOnlySpan<float> dY, ReadOnlySpan<float> argmax, Span<float> dX, in Pool2dGeometry g)
    {
        g.CheckLengths("max-pool backward", dX.Length, dY.Length);
        CheckArgmax(argmax.Length, g);
        int pq = g.P * g.Q, hw = g.H * g.W;
        for (int i = 0; i < dY.Length; i++) dX[i / pq * hw + (int)argmax[i]] += dY[i];
    }

    private static void CheckArgmax(int length, in Pool2dGeometry g)
    {
        if (length != g.YLength)
            throw new ArgumentException($"max-pool: argmax has {length} elements, expected {g.YLength} for (N, C, P, Q) = ({g.N}, {g.C}, {g.P}, {g.Q})");
    }

    private struct ForwardBody : IParallelBody
    {
        public float* X, Y, Argmax;
        public Pool2dGeometry G;
        public int PlanesPerItem;

        public readonly void Invoke(int item)
        {
            int P = G.P, Q = G.Q, hw = G.H * G.W, W = G.W;
            int first = item * PlanesPerItem, last = Math.Min(G.N * G.C, first + PlanesPerItem);
            bool window2 = IsWindow2(G);
            for (int plane = first; plane < last; plane++)
            {
                float* x = X + (long)plane * hw;
                float* y = Y + (long)plane * P * Q;
                float* a = Argmax + (long)plane * P * Q;
                if (window2)
                {
                    ForwardWindow2(x, y, a, G);
                    continue;
                }
                for (int p = 0; p < P; p++)
                {
                    G.RowRange(p, out int h0, out int h1);
                    for (int q = 0; q < Q; q++)
                    {
                        G.ColumnRange(q, out int w0, out int w1);
                        int at = h0 * W + w0;
                        float best = x[at];
                        for (int h = h0; h < h1 && !float.IsNaN(best); h++)
                        {
                            float* row = x + h * W;
                            for (int w = w0; w < w1; w++)
                            {
                                float v = row[w];
                                if (v > best || float.IsNaN(v))
                                {
                                    best = v;
                                    at = h * W + w;
                                    if (float.IsNaN(v)) break;
                                }
                            }
                        }
                        y[p * Q + q] = best;
                        a[p * Q + q] = at;
                    }
                }
            }
        }
    }

    private struct BackwardBody : IParallelBody
    {
        public float* DY, Argmax, DX;
        public Pool2dGeometry G;
        public int PlanesPerItem;

        public readonly void Invoke(int item)
        {
            int pq = G.P * G.Q, hw = G.H * G.W;
            int first = item * PlanesPerItem, last = Math.Min(G.N * G.C, first + PlanesPerItem);
            for (int plane = first; plane < last; plane++)
            {
                float* dy = DY + (long)plane * pq;
                float* a = Argmax + (long)plane * pq;
                float* dx = DX + (long)plane * hw;
                for (int i = 0; i < pq; i++) dx[(int)a[i]] += dy[i];
            }
        }
    }
}
