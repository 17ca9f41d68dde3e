using System.Runtime.Intrinsics;

namespace NanoFed.Kernels;

/// <summary>
/// Rectified linear unit, forward and backward, through the shared <see cref="ElementWise"/> driver.
/// Buffers are flat: any shape, the same length everywhere (activations (N, C, H, W) in practice).
/// </summary>
public static partial class Relu
{
    /// <summary>Overwrites y[i] = max(x[i], 0) (NaN maps to 0). x: any shape; y: the same length; y may alias x.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) => ElementWise.Unary(default(ReluOperator), x, y);

    /// <summary>
    /// Accumulates dX[i] += x[i] &gt; 0 ? dY[i] : 0 (the subgradient at 0 is 0, as in PyTorch), or with
    /// <paramref name="overwrite"/> overwrites dX[i] = x[i] &gt; 0 ? dY[i] : 0 (its old contents are never read).
    /// x is the forward input (or output: same sign pattern); x, dY, dX: same length.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dY, Span<float> dX, bool overwrite = false)
    {
        if (overwrite) ElementWise.Binary(default(MaskOperator), x, dY, dX);
        else ElementWise.Ternary(default(ReluBackwardOperator), x, dY, dX, dX);
    }

    /// <summary>The scalar reference of <see cref="Forward"/>.</summary>
    public static void ForwardReference(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length != y.Length) throw new ArgumentException($"relu: x has {x.Length} elements, y {y.Length}", nameof(y));
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : 0f;
    }

    /// <summary>The scalar reference of <see cref="Backward"/> (accumulates).</summary>
    public static void BackwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> dY, Span<float> dX)
    {
        if (x.Length != dX.Length || dY.Length != dX.Length)
            throw new ArgumentException($"relu backward: x {x.Length}, dY {dY.Length}, dX {dX.Length} elements differ", nameof(dX));
        for (int i = 0; i < x.Length; i++) dX[i] += x[i] > 0 ? dY[i] : 0f;
    }

    /// <summary>max(x, 0) by a compare and select, so NaN maps to 0 at every width.</summary>
    public readonly struct ReluOperator : IUnaryOperator
    {
        /// <inheritdoc/>
        public float Invoke(float x) => x > 0 ? x : 0f;

        /// <inheritdoc/>
        public Vector128<float> Invoke(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), x, Vector128<float>.Zero);

        /// <inheritdoc/>
        public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, Vector256<float>.Zero);

        /// <inheritdoc/>
        public Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, Vector512<float>.Zero);
    }

    /// <summary>(x, dY) → x &gt; 0 ? dY : 0: the gradient passed through a ReLU whose input (or output) is x.</summary>
    public readonly struct MaskOperator : IBinaryOperator
    {
        /// <inheritdoc/>
        public float Invoke(float x, float dY) => x > 0 ? dY : 0f;

        /// <inheritdoc/>
        public Vector128<float> Invoke(Vector128<float> x, Vector128<float> dY) =>
            Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), dY, Vector128<float>.Zero);

        /// <inheritdoc/>
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dY) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), dY, Vector256<float>.Zero);

        /// <inheritdoc/>
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dY) =>
            Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), dY, Vector512<float>.Zero);
    }

    /// <summary>(x, dY, dX) → dX + (x &gt; 0 ? dY : 0).</summary>
    public readonly struct ReluBackwardOperator : ITernaryOperator
    {
        /// <inheritdoc/>
        public float Invoke(float x, float dY, float dX) => dX + default(MaskOperator).Invoke(x, dY);

        /// <inheritdoc/>
        public Vector128<float> Invoke(Vector128<float> x, Vector128<float> dY, Vector128<float> dX) => dX + default(MaskOperator).Invoke(x, dY);

        /// <inheritdoc/>
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dY, Vector256<float> dX) => dX + default(MaskOperator).Invoke(x, dY);

        /// <inheritdoc/>
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dY, Vector512<float> dX) => dX + default(MaskOperator).Invoke(x, dY);
    }

    /// <summary>x → max(x + bias, 0): a convolution's bias and the ReLU after it, applied to its output in one pass.</summary>
    public readonly struct BiasReluOperator(float bias) : IUnaryOperator
    {
        /// <inheritdoc/>
        public float Invoke(float x) => default(ReluOperator).Invoke(x + bias);

        /// <inheritdoc/>
        public Vector128<float> Invoke(Vector128<float> x) => default(ReluOperator).Invoke(x + Vector128.Create(bias));

        /// <inheritdoc/>
        public Vector256<float> Invoke(Vector256<float> x) => default(ReluOperator).Invoke(x + Vector256.Create(bias));

        /// <inheritdoc/>
        public Vector512<float> Invoke(Vector512<float> x) => default(ReluOperator).Invoke(x + Vector512.Create(bias));
    }

    /// <summary>(a, b) → max(a + b, 0): a residual sum fused with the ReLU after it (the same bits as the two passes).</summary>
    public readonly struct AddReluOperator : IBinaryOperator
    {
        /// <inheritdoc/>
        public float Invoke(float a, float b) => default(ReluOperator).Invoke(a + b);

        /// <inheritdoc/>
        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => default(ReluOperator).Invoke(a + b);

        /// <inheritdoc/>
        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => default(ReluOperator).Invoke(a + b);

        /// <inheritdoc/>
        public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => default(ReluOperator).Invoke(a + b);
    }
}
