using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace NanoFed.Kernels;

/// <summary>
/// Element-wise multiplication: forward through <see cref="TensorPrimitives"/> (exact, the same bits at every width),
/// backward through the shared <see cref="ElementWise"/> driver.
/// </summary>
public static class Multiply
{
    /// <summary>Overwrites y[i] = a[i] · b[i]. a, b, y: same length (any shape); y may alias a or b.</summary>
    public static void Forward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        ElementWise.CheckLength(a.Length, y.Length, nameof(a));
        ElementWise.CheckLength(b.Length, y.Length, nameof(b));
        TensorPrimitives.Multiply(a, b, y);
    }

    /// <summary>
    /// Accumulates dX[i] += dY[i] · other[i] (the backward of y = x · other with respect to x). Same length.
    /// A multiply then an add (no fused multiply-add), identical at every width.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> dY, ReadOnlySpan<float> other, Span<float> dX) =>
        ElementWise.Ternary(default(MultiplyAddOperator), dY, other, dX, dX);

    /// <summary>The scalar reference of <see cref="Forward"/>.</summary>
    public static void ForwardReference(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        if (a.Length != y.Length || b.Length != y.Length)
            throw new ArgumentException($"multiply: a {a.Length}, b {b.Length}, y {y.Length} elements differ", nameof(y));
        for (int i = 0; i < y.Length; i++) y[i] = a[i] * b[i];
    }

    /// <summary>The scalar reference of <see cref="Backward"/> (accumulates).</summary>
    public static void BackwardReference(ReadOnlySpan<float> dY, ReadOnlySpan<float> other, Span<float> dX)
    {
        if (dY.Length != dX.Length || other.Length != dX.Length)
            throw new ArgumentException($"multiply backward: dY {dY.Length}, other {other.Length}, dX {dX.Length} elements differ", nameof(dX));
        for (int i = 0; i < dX.Length; i++) dX[i] += dY[i] * other[i];
    }

    /// <summary>a · b.</summary>
    public readonly struct MultiplyOperator : IBinaryOperator
    {
        /// <inheritdoc/>
        public float Invoke(float a, float b) => a * b;

        /// <inheritdoc/>
        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a * b;

        /// <inheritdoc/>
        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a * b;

        /// <inheritdoc/>
        public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a * b;
    }

    /// <summary>(a, b, c) → c + a · b, rounded after the multiply (no FMA), so every width gives the same bits.</summary>
    public readonly struct MultiplyAddOperator : ITernaryOperator
    {
        /// <inheritdoc/>
        public float Invoke(float a, float b, float c) => c + a * b;

        /// <inheritdoc/>
        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> c) => c + a * b;

        /// <inheritdoc/>
        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => c + a * b;

        /// <inheritdoc/>
        public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) => c + a * b;
    }
}
