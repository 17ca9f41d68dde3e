using NanoFed.Threading;

namespace NanoFed.Kernels;

/// <summary>
/// relu(a + b), the end of a residual block, forward and backward. Unlike the other element-wise kernels these run
/// on the workers: they are the largest element-wise passes of a ResNet step, and one core alone does not reach
/// the memory bandwidth two do. Items are fixed ranges of <see cref="RangeLength"/> elements, so the result does
/// not depend on the thread count (it is element-wise anyway).
/// </summary>
public static unsafe partial class Relu
{
    /// <summary>Elements per parallel item.</summary>
    private const int RangeLength = 1 << 15;

    /// <summary>Elements per backward sub-range: the masked gradient is staged in this many floats on the stack (16 KB, in L1).</summary>
    private const int StageLength = 1 << 12;

    /// <summary>Overwrites y[i] = max(a[i] + b[i], 0): a residual sum and the ReLU after it in one pass. Same lengths; y may alias a or b.</summary>
    public static void ForwardSum(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        ElementWise.CheckLength(a.Length, y.Length, nameof(a));
        ElementWise.CheckLength(b.Length, y.Length, nameof(b));
        fixed (float* pa = a, pb = b, py = y)
        {
            var body = new ForwardSumBody { A = pa, B = pb, Y = py, Length = y.Length };
            Run(y.Length, body);
        }
    }

    /// <summary>
    /// The backward of <see cref="ForwardSum"/>: with g = y &gt; 0 ? dY : 0, dA = g or dA += g (as
    /// <paramref name="overwriteA"/> says), then the same for dB, element by element, so dA and dB may be one buffer
    /// (a + a: its gradient gets 2g when the first write overwrites and the second adds). y, dY, dA, dB: same length.
    /// </summary>
    public static void BackwardSum(ReadOnlySpan<float> y, ReadOnlySpan<float> dY, Span<float> dA, bool overwriteA, Span<float> dB, bool overwriteB)
    {
        ElementWise.CheckLength(dY.Length, y.Length, nameof(dY));
        ElementWise.CheckLength(dA.Length, y.Length, nameof(dA));
        ElementWise.CheckLength(dB.Length, y.Length, nameof(dB));
        fixed (float* py = y, pdy = dY, pda = dA, pdb = dB)
        {
            var body = new BackwardSumBody { Y = py, DY = pdy, DA = pda, DB = pdb, OverwriteA = overwriteA, OverwriteB = overwriteB, Length = y.Length };
            Run(y.Length, body);
        }
    }

    private static void Run<TBody>(int length, in TBody body) where TBody : struct, IParallelBody
    {
        int items = (length + RangeLength - 1) / RangeLength;
        if (items > 1) Workers.For(items, body);
        else if (items == 1) body.Invoke(0);
    }

    private struct ForwardSumBody : IParallelBody
    {
        public float* A, B, Y;
        public int Length;

        public readonly void Invoke(int index)
        {
            int start = index * RangeLength, count = Math.Min(RangeLength, Length - start);
            ElementWise.Binary(default(AddReluOperator), new ReadOnlySpan<float>(A + start, count), new ReadOnlySpan<float>(B + start, count),
                new Span<float>(Y + start, count));
        }
    }

    private struct BackwardSumBody : IParallelBody
    {
        public float* Y, DY, DA, DB;
        public bool OverwriteA, OverwriteB;
        public int Length;

        public readonly void Invoke(int index)
        {
            float* stage = stackalloc float[StageLength];
            int end = Math.Min(Length, (index + 1) * RangeLength);
            for (int start = index * RangeLength; start < end; start += StageLength)
            {
                int count = Math.Min(StageLength, end - start);
                var g = new Span<float>(stage, count);
                ElementWise.Binary(default(MaskOperator), new ReadOnlySpan<float>(Y + start, count), new ReadOnlySpan<float>(DY + start, count), g);
                Add.Accumulate(g, new Span<float>(DA + start, count), OverwriteA);
                Add.Accumulate(g, new Span<float>(DB + start, count), OverwriteB);
            }
        }
    }
}
