using System.Runtime.Intrinsics;

namespace NanoFed.Kernels;

/// <summary>Element-wise addition through the shared <see cref="ElementWise"/> driver.</summary>
public static class Add
{
    /// <summary>Overwrites y[i] = a[i] + b[i]. a, b, y: same length (any shape); y may alias a or b.</summary>
    public static void Forward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) =>
        ElementWise.Binary(default(AddOperator), a, b, y);

    /// <summary>Accumulates dX[i] += dY[i] (the backward of addition for either operand). Same length.</summary>
    public static void Accumulate(ReadOnlySpan<float> dY, Span<float> dX) =>
        ElementWise.Binary(default(AddOperator), dX, dY, dX);

    /// <summary>The scalar reference of <see cref="Forward"/>.</summary>
    public static void ForwardReference(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        if (a.Length != y.Length || b.Length != y.Length)
            throw new ArgumentException($"add: a {a.Length}, b {b.Length}, y {y.Length} elements differ", nameof(y));
        for (int i = 0; i < y.Length; i++) y[i] = a[i] + b[i];
    }

    /// <summary>a + b.</summary>
    public readonly struct AddOperator : IBinaryOperator
    {
        /// <inheritdoc/>
        public float Invoke(float a, float b) => a + b;

        /// <inheritdoc/>
        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a + b;

        /// <inheritdoc/>
        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a + b;

        /// <inheritdoc/>
        public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a + b;
    }
}
