using NanoFed.Threading;

namespace NanoFed.Kernels;

/// <summary>
/// Global average pooling: y[n, c] = mean over (h, w) of x[n, c, h, w], summed left to right in float so every
/// ISA and thread count gives the same bits. Planes run in parallel. Shapes: x, dX (N, C, H, W); y, dY (N, C).
/// </summary>
public static unsafe class GlobalAvgPool
{
    /// <summary>Overwrites y (N·C planes) with the mean of each plane of x (N·C planes of <paramref name="hw"/> = H·W elements).</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int hw)
    {
        Check("forward", x.Length, y.Length, hw);
        fixed (float* px = x, py = y)
        {
            var body = new Body { X = px, Y = py, Planes = y.Length, HW = hw, PlanesPerItem = Math.Max(1, (1 << 14) / hw) };
            Workers.For((y.Length + body.PlanesPerItem - 1) / body.PlanesPerItem, in body);
        }
    }

    /// <summary>
    /// dX += dY / (H·W) broadcast over each plane, or dX = dY / (H·W) when <paramref name="overwrite"/> (dX's old
    /// contents are then never read). Parallel over fixed ranges of planes.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> dY, Span<float> dX, int hw, bool overwrite = false)
    {
        Check("backward", dX.Length, dY.Length, hw);
        int planes = dY.Length, perItem = Math.Max(1, 32768 / hw);
        fixed (float* pdy = dY, pdx = dX)
        {
            var body = new BackwardBody { DY = pdy, DX = pdx, Planes = planes, HW = hw, PlanesPerItem = perItem, Overwrite = overwrite };
            Workers.For((planes + perItem - 1) / perItem, in body);
        }
    }

    private struct BackwardBody : IParallelBody
    {
        public float* DY, DX;
        public int Planes, HW, PlanesPerItem;
        public bool Overwrite;

        public readonly void Invoke(int item)
        {
            float scale = 1f / HW;
            for (int i = item * PlanesPerItem, last = Math.Min(Planes, i + PlanesPerItem); i < last; i++)
            {
                var plane = new Span<float>(DX + (long)i * HW, HW);
                float d = DY[i] * scale;
                if (Overwrite) plane.Fill(d);
                else System.Numerics.Tensors.TensorPrimitives.Add(plane, d, plane);
            }
        }
    }

    /// <summary>The reference of <see cref="Forward"/>: a plain serial loop with the same summation order.</summary>
    public static void ForwardReference(ReadOnlySpan<float> x, Span<float> y, int hw)
    {
        Check("forward", x.Length, y.Length, hw);
        for (int i = 0; i < y.Length; i++)
        {
            float sum = 0;
            for (int j = 0; j < hw; j++) sum += x[i * hw + j];
            y[i] = sum * (1f / hw);
        }
    }

    /// <summary>The reference of <see cref="Backward"/>: a plain scalar loop.</summary>
    public static void BackwardReference(ReadOnlySpan<float> dY, Span<float> dX, int hw)
    {
        Check("backward", dX.Length, dY.Length, hw);
        for (int i = 0; i < dY.Length; i++)
            for (int j = 0; j < hw; j++) dX[i * hw + j] += dY[i] * (1f / hw);
    }

    private static void Check(string op, int x, int y, int hw)
    {
        if (hw < 1 || y < 1 || (long)y * hw != x)
            throw new ArgumentException($"global-avg-pool {op}: x has {x} elements, y has {y} (N·C) and H·W = {hw}; expected x = N·C·H·W");
    }

    private struct Body : IParallelBody
    {
        public float* X, Y;
        public int Planes, HW, PlanesPerItem;

        public readonly void Invoke(int item)
        {
            int first = item * PlanesPerItem, last = Math.Min(Planes, first + PlanesPerItem);
            float scale = 1f / HW;
            for (int i = first; i < last; i++)
            {
                float* x = X + (long)i * HW;
                float sum = 0;
                for (int j = 0; j < HW; j++) sum += x[j];
                Y[i] = sum * scale;
            }
        }
    }
}
