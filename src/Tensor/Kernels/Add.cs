using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace NanoFed.Kernels;

/// <summary>
/// Element-wise addition through <see cref="TensorPrimitives"/> (an exact IEEE operation: the same bits at every
/// width), and a per-channel bias broadcast through the shared <see cref="ElementWise"/> drivers.
/// </summary>
public static class Add
{
    /// <summary>Overwrites y[i] = a[i] + b[i]. a, b, y: same length (any shape); y may alias a or b.</summary>
    public static void Forward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        ElementWise.CheckLength(a.Length, y.Length, nameof(a));
        ElementWise.CheckLength(b.Length, y.Length, nameof(b));
        TensorPrimitives.Add(a, b, y);
    }

    /// <summary>
    /// Accumulates dX[i] += dY[i] (the backward of addition for either operand), or with <paramref name="overwrite"/>
    /// copies dX[i] = dY[i] (a new gradient: its old contents are never read). Same length.
    /// </summary>
    public static void Accumulate(ReadOnlySpan<float> dY, Span<float> dX, bool overwrite = false)
    {
        ElementWise.CheckLength(dY.Length, dX.Length, nameof(dY));
        if (overwrite) dY.CopyTo(dX);
        else TensorPrimitives.Add(dX, dY, dX);
    }

    /// <summary>
    /// Overwrites y[n, c, i] = x[n, c, i] + bias[c]: a per-channel bias broadcast over x (N, C, H, W) with
    /// <paramref name="hw"/> = H·W (hw = 1 for (N, C)). y may alias x.
    /// </summary>
    public static void BiasForward(ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y, int n, int c, int hw)
    {
        CheckBias(x.Length, bias.Length, y.Length, n, c, hw);
        for (int row = 0; row < n * c; row++)
            ElementWise.Unary(new BiasOperator(bias[row % c]), x.Slice(row * hw, hw), y.Slice(row * hw, hw));
    }

    /// <summary>
    /// Accumulates dB[c] += Σ_{n, i} dY[n, c, i]. dY (N, C, H, W), dB (C). Each row by <see cref="ElementWise.Sum{TOp}"/>,
    /// the rows in double in increasing n: the same bits on every ISA.
    /// </summary>
    public static void BiasBackward(ReadOnlySpan<float> dY, Span<float> dB, int n, int c, int hw)
    {
        CheckBias(dY.Length, dB.Length, dY.Length, n, c, hw);
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                var row = dY.Slice((i * c + ch) * hw, hw);
                sum += ElementWise.Sum(default(FirstOperator), row, row);
            }
            dB[ch] += (float)sum;
        }
    }

    /// <summary>The scalar reference of <see cref="BiasForward"/>.</summary>
    public static void BiasForwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y, int n, int c, int hw)
    {
        CheckBias(x.Length, bias.Length, y.Length, n, c, hw);
        for (int k = 0; k < x.Length; k++) y[k] = x[k] + bias[k / hw % c];
    }

    /// <summary>The reference of <see cref="BiasBackward"/>: plain double sums (accumulates).</summary>
    public static void BiasBackwardReference(ReadOnlySpan<float> dY, Span<float> dB, int n, int c, int hw)
    {
        CheckBias(dY.Length, dB.Length, dY.Length, n, c, hw);
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < hw; j++) sum += dY[(i * c + ch) * hw + j];
            dB[ch] += (float)sum;
        }
    }

    /// <summary>The scalar reference of <see cref="Forward"/>.</summary>
    public static void ForwardReference(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        if (a.Length != y.Length || b.Length != y.Length)
            throw new ArgumentException($"add: a {a.Length}, b {b.Length}, y {y.Length} elements differ", nameof(y));
        for (int i = 0; i < y.Length; i++) y[i] = a[i] + b[i];
    }

    private static void CheckBias(int xLength, int biasLength, int yLength, int n, int c, int hw)
    {
        if (n < 0 || c < 0 || hw < 0 || (long)n * c * hw != xLength || yLength != xLength || biasLength != c)
            throw new ArgumentException($"bias: N={n} C={c} H·W={hw} needs x and y of {(long)n * c * hw} and a bias of {c} elements; got {xLength}, {yLength}, {biasLength}");
    }

    /// <summary>x + b for a fixed b.</summary>
    public readonly struct BiasOperator(float b) : IUnaryOperator
    {
        /// <inheritdoc/>
        public float Invoke(float x) => x + b;

        /// <inheritdoc/>
        public Vector128<float> Invoke(Vector128<float> x) => x + Vector128.Create(b);

        /// <inheritdoc/>
        public Vector256<float> Invoke(Vector256<float> x) => x + Vector256.Create(b);

        /// <inheritdoc/>
        public Vector512<float> Invoke(Vector512<float> x) => x + Vector512.Create(b);
    }

    /// <summary>(a, b) → a, to sum one span with <see cref="ElementWise.Sum{TOp}"/>.</summary>
    private readonly struct FirstOperator : IBinaryOperator
    {
        public float Invoke(float a, float b) => a;

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a;

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a;

        public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a;
    }

}
