using NanoFed.Threading;

namespace NanoFed.Kernels;

public static partial class Quantize
{
    /// <summary>Elements per work item: large enough to amortize scheduling, small enough to split a layer's activations.</summary>
    private const int Chunk = 1 << 15;

    /// <summary>Uniforms drawn per step of the stochastic rules (a stack buffer of 4 KB).</summary>
    private const int UniformChunk = 1024;

    /// <summary>
    /// Quantizes in fixed chunks of <see cref="Chunk"/> elements over the workers. With a stream, element i uses word
    /// Position + i however the chunks are scheduled, so the codes do not depend on the thread count; the stream then
    /// moves past all n words.
    /// </summary>
    private static unsafe void Run<TOp>(ReadOnlySpan<float> a, Span<sbyte> q, TOp op, RngStream? rng) where TOp : struct, IRounding
    {
        ulong start = rng?.Position ?? 0;
        fixed (float* pa = a)
        fixed (sbyte* pq = q)
            Workers.For((a.Length + Chunk - 1) / Chunk, new NarrowBody<TOp>(pa, pq, a.Length, op, rng, start));
        if (rng != null) rng.Position = start + (ulong)a.Length;
    }

    /// <summary>De-quantizes in fixed chunks over the workers.</summary>
    private static unsafe void Run(ReadOnlySpan<sbyte> q, float scale, Span<float> a)
    {
        fixed (sbyte* pq = q)
        fixed (float* pa = a)
            Workers.For((q.Length + Chunk - 1) / Chunk, new WidenBody(pq, pa, q.Length, scale));
    }

    private readonly unsafe struct NarrowBody<TOp>(float* a, sbyte* q, int length, TOp op, RngStream? rng, ulong start) : IParallelBody
        where TOp : struct, IRounding
    {
        public void Invoke(int index)
        {
            int lo = index * Chunk, n = Math.Min(Chunk, length - lo);
            var x = new ReadOnlySpan<float>(a + lo, n);
            var codes = new Span<sbyte>(q + lo, n);
            if (rng is null)
            {
                Narrow(x, x, codes, op);
                return;
            }
            Span<float> u = stackalloc float[UniformChunk];
            for (int i = 0; i < n; i += UniformChunk)
            {
                int m = Math.Min(UniformChunk, n - i);
                rng.FillUniformAt(u[..m], start + (ulong)(lo + i));
                Narrow(x.Slice(i, m), u[..m], codes.Slice(i, m), op);
            }
        }
    }

    private readonly unsafe struct WidenBody(sbyte* q, float* a, int length, float scale) : IParallelBody
    {
        public void Invoke(int index)
        {
            int lo = index * Chunk, n = Math.Min(Chunk, length - lo);
            Widen(new ReadOnlySpan<sbyte>(q + lo, n), scale, new Span<float>(a + lo, n));
        }
    }
}
