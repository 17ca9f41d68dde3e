using System.Runtime.Intrinsics;

namespace NanoFed.Kernels;

/// <summary>The element-wise operators of batch normalization (each a multiply then an add, no FMA: same bits at every width).</summary>
public static partial class BatchNorm2d
{
    /// <summary>(a, b) → a.</summary>
    internal readonly struct IdentityOperator : IBinaryOperator
    {
        public float Invoke(float a, float b) => a;

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a;

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a;

        public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a;
    }

    /// <summary>(a, b) → a − m.</summary>
    internal readonly struct DifferenceOperator(float m) : IBinaryOperator
    {
        public float Invoke(float a, float b) => a - m;

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a - Vector128.Create(m);

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a - Vector256.Create(m);

        public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a - Vector512.Create(m);
    }

    /// <summary>x → x · scale + shift.</summary>
    internal readonly struct ScaleShiftOperator(float scale, float shift) : IUnaryOperator
    {
        public float Invoke(float x) => x * scale + shift;

        public Vector128<float> Invoke(Vector128<float> x) => x * Vector128.Create(scale) + Vector128.Create(shift);

        public Vector256<float> Invoke(Vector256<float> x) => x * Vector256.Create(scale) + Vector256.Create(shift);

        public Vector512<float> Invoke(Vector512<float> x) => x * Vector512.Create(scale) + Vector512.Create(shift);
    }

    /// <summary>max(x · scale + shift, 0): the forward fused with a ReLU (the same bits as the two passes).</summary>
    private readonly struct ScaleShiftReluOperator(ScaleShiftOperator scaleShift) : IUnaryOperator
    {
        public float Invoke(float x) => default(Relu.ReluOperator).Invoke(scaleShift.Invoke(x));

        public Vector128<float> Invoke(Vector128<float> x) => default(Relu.ReluOperator).Invoke(scaleShift.Invoke(x));

        public Vector256<float> Invoke(Vector256<float> x) => default(Relu.ReluOperator).Invoke(scaleShift.Invoke(x));

        public Vector512<float> Invoke(Vector512<float> x) => default(Relu.ReluOperator).Invoke(scaleShift.Invoke(x));
    }

    /// <summary>
    /// (dY, x, dX) → dX + (a · dY + (b · (x − m) + c)), and its overwrite form (dY, x) → a · dY + (b · (x − m) + c),
    /// which equals the first with dX = 0.
    /// </summary>
    internal readonly struct BackwardDataOperator(float a, float b, float m, float c) : ITernaryOperator, IBinaryOperator
    {
        public float Invoke(float dY, float x) => a * dY + (b * (x - m) + c);

        public Vector128<float> Invoke(Vector128<float> dY, Vector128<float> x) =>
            Vector128.Create(a) * dY + (Vector128.Create(b) * (x - Vector128.Create(m)) + Vector128.Create(c));

        public Vector256<float> Invoke(Vector256<float> dY, Vector256<float> x) =>
            Vector256.Create(a) * dY + (Vector256.Create(b) * (x - Vector256.Create(m)) + Vector256.Create(c));

        public Vector512<float> Invoke(Vector512<float> dY, Vector512<float> x) =>
            Vector512.Create(a) * dY + (Vector512.Create(b) * (x - Vector512.Create(m)) + Vector512.Create(c));

        public float Invoke(float dY, float x, float dX) => dX + Invoke(dY, x);

        public Vector128<float> Invoke(Vector128<float> dY, Vector128<float> x, Vector128<float> dX) => dX + Invoke(dY, x);

        public Vector256<float> Invoke(Vector256<float> dY, Vector256<float> x, Vector256<float> dX) => dX + Invoke(dY, x);

        public Vector512<float> Invoke(Vector512<float> dY, Vector512<float> x, Vector512<float> dX) => dX + Invoke(dY, x);
    }

    /// <summary>
    /// (r, dY, x) → the overwrite form of <see cref="BackwardDataOperator"/> on (r &gt; 0 ? dY : 0, x): the backward of a
    /// batch norm whose ReLU output is r, the same bits as masking dY first.
    /// </summary>
    private readonly struct MaskedBackwardDataOperator(BackwardDataOperator data) : ITernaryOperator
    {
        public float Invoke(float r, float dY, float x) => data.Invoke(default(Relu.MaskOperator).Invoke(r, dY), x);

        public Vector128<float> Invoke(Vector128<float> r, Vector128<float> dY, Vector128<float> x) =>
            data.Invoke(default(Relu.MaskOperator).Invoke(r, dY), x);

        public Vector256<float> Invoke(Vector256<float> r, Vector256<float> dY, Vector256<float> x) =>
            data.Invoke(default(Relu.MaskOperator).Invoke(r, dY), x);

        public Vector512<float> Invoke(Vector512<float> r, Vector512<float> dY, Vector512<float> x) =>
            data.Invoke(default(Relu.MaskOperator).Invoke(r, dY), x);
    }

    /// <summary>
    /// (x, dY) → x · scale + shift &gt; 0 ? dY : 0: dY through the ReLU of a fused forward, the mask recomputed from x by
    /// the forward's own operations (so the same bit as its output &gt; 0; NaN masks to 0 in both).
    /// </summary>
    private readonly struct ScaleShiftMaskOperator(ScaleShiftOperator scaleShift) : IBinaryOperator
    {
        public float Invoke(float x, float dY) => default(Relu.MaskOperator).Invoke(scaleShift.Invoke(x), dY);

        public Vector128<float> Invoke(Vector128<float> x, Vector128<float> dY) => default(Relu.MaskOperator).Invoke(scaleShift.Invoke(x), dY);

        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dY) => default(Relu.MaskOperator).Invoke(scaleShift.Invoke(x), dY);

        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dY) => default(Relu.MaskOperator).Invoke(scaleShift.Invoke(x), dY);
    }

    /// <summary>
    /// (dY, x) → <see cref="BackwardDataOperator"/> on (mask(x, dY), x), and its accumulate form (dY, x, dX) → dX + that:
    /// the backward after a fused ReLU whose mask is recomputed from x.
    /// </summary>
    private readonly struct ScaleShiftMaskedDataOperator(ScaleShiftMaskOperator mask, BackwardDataOperator data) : IBinaryOperator, ITernaryOperator
    {
        public float Invoke(float dY, float x) => data.Invoke(mask.Invoke(x, dY), x);

        public Vector128<float> Invoke(Vector128<float> dY, Vector128<float> x) => data.Invoke(mask.Invoke(x, dY), x);

        public Vector256<float> Invoke(Vector256<float> dY, Vector256<float> x) => data.Invoke(mask.Invoke(x, dY), x);

        public Vector512<float> Invoke(Vector512<float> dY, Vector512<float> x) => data.Invoke(mask.Invoke(x, dY), x);

        public float Invoke(float dY, float x, float dX) => dX + Invoke(dY, x);

        public Vector128<float> Invoke(Vector128<float> dY, Vector128<float> x, Vector128<float> dX) => dX + Invoke(dY, x);

        public Vector256<float> Invoke(Vector256<float> dY, Vector256<float> x, Vector256<float> dX) => dX + Invoke(dY, x);

        public Vector512<float> Invoke(Vector512<float> dY, Vector512<float> x, Vector512<float> dX) => dX + Invoke(dY, x);
    }
}
