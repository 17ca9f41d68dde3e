using NanoFed.Threading;

namespace NanoFed.Kernels;

public static unsafe partial class Conv2d
{
    /// <summary>Most batch partials backward-weight keeps (the batch is cut into at most this many fixed chunks).</summary>
    private const int MaxPartials = 16;

    /// <summary>Float budget of the batch partials (16 MB): large filters get fewer chunks.</summary>
    private const int PartialBudget = 1 << 22;

    /// <summary>
    /// Accumulates the input gradient: dX (N, C, H, W) += conv2d-transpose(dY (N, K, P, Q), w (K, C, R, S)).
    /// Per image, col = wᵀ · dY_n by GEMM, then col2im adds col into dX_n. Images run in parallel; each writes
    /// only its own dX_n, so the result does not depend on the thread count.
    /// </summary>
    public static void BackwardData(ReadOnlySpan<float> dY, ReadOnlySpan<float> w, Span<float> dX, in Conv2dGeometry g)
    {
        g.CheckLengths("backward-data", dX.Length, w.Length, 0, dY.Length);
        fixed (float* pdy = dY, pw = w, pdx = dX)
        {
            var body = new BackwardDataBody { DY = pdy, Wt = pw, DX = pdx, G = g };
            ForEachImage(g.N, ref body);
        }
    }

    /// <summary>
    /// Accumulates the filter and bias gradients: dW (K, C, R, S) += Σ_n dY_n · col_nᵀ and dB (K) += Σ_{n,p,q} dY;
    /// an empty dW or dB is skipped. The batch is cut into fixed chunks that depend only on the geometry; each
    /// chunk sums its images in order into a partial, and the partials are added in chunk order, so the
    /// result is bit-identical for any <see cref="Workers.Count"/>.
    /// </summary>
    public static void BackwardWeight(ReadOnlySpan<float> x, ReadOnlySpan<float> dY, Span<float> dW, Span<float> dB,
        in Conv2dGeometry g)
    {
        g.CheckLengths("backward-weight", x.Length, dW.IsEmpty ? -1 : dW.Length, dB.Length, dY.Length);
        if (dW.IsEmpty && dB.IsEmpty) return;
        int wLength = dW.IsEmpty ? 0 : g.WLength, bLength = dB.IsEmpty ? 0 : g.K;
        int chunks = ChunkCount(g.N, wLength + bLength), perChunk = (g.N + chunks - 1) / chunks;
        chunks = (g.N + perChunk - 1) / perChunk;
        fixed (float* px = x, pdy = dY, pdw = dW, pdb = dB)
        {
            var body = new BackwardWeightBody
            {
                X = px, DY = pdy, G = g, PerChunk = perChunk, WLength = wLength, BLength = bLength,
            };
            if (chunks == 1)
            {
                // One chunk accumulates straight into dW and dB, on the caller (GEMM may use the workers).
                body.DW = pdw;
                body.DB = pdb;
                body.Accumulate = true;
                body.Invoke(0);
                return;
            }
            int stride = wLength + bLength;
            fixed (float* partials = PartialScratch(chunks * stride))
            {
                body.Partials = partials;
                body.PartialStride = stride;
                Workers.For(chunks, in body);
                var sum = new SumPartialsBody { Partials = partials, Count = chunks, Stride = stride, DW = pdw, WLength = wLength, DB = pdb };
                Workers.For((stride + SumPartialsBody.Block - 1) / SumPartialsBody.Block, in sum);
            }
        }
    }

    /// <summary>Number of batch chunks: a function of the geometry only, never of the thread count.</summary>
    private static int ChunkCount(int n, int partialLength) =>
        Math.Max(1, Math.Min(Math.Min(n, MaxPartials), PartialBudget / Math.Max(1, partialLength)));

    private struct BackwardDataBody : IParallelBody
    {
        public float* DY, Wt, DX;
        public Conv2dGeometry G;

        public readonly void Invoke(int n)
        {
            int K = G.K, crs = G.Crs, pq = G.P * G.Q;
            float* dy = DY + (long)n * K * pq;
            float* dx = DX + (long)n * G.C * G.H * G.W;
            var wSpan = new ReadOnlySpan<float>(Wt, K * crs);
            var dySpan = new ReadOnlySpan<float>(dy, K * pq);
            if (G.IsPointwise)
            {
                Gemm.Sgemm(Transpose.Yes, Transpose.No, crs, pq, K, 1, wSpan, crs, dySpan, pq, 1, new Span<float>(dx, crs * pq), pq);
                return;
            }
            fixed (float* col = ColScratch(crs * pq))
            {
                Gemm.Sgemm(Transpose.Yes, Transpose.No, crs, pq, K, 1, wSpan, crs, dySpan, pq, 0, new Span<float>(col, crs * pq), pq);
                Col2im(col, dx, G);
            }
        }
    }

    private struct BackwardWeightBody : IParallelBody
    {
        public float* X, DY, DW, DB, Partials;
        public Conv2dGeometry G;
        public int PerChunk, WLength, BLength, PartialStride;
        public bool Accumulate;

        /// <summary>Sums the images of chunk <paramref name="chunk"/> in order: into dW/dB when accumulating, else into its partial.</summary>
        public readonly void Invoke(int chunk)
        {
            float* dw = Accumulate ? DW : Partials + (long)chunk * PartialStride;
            float* db = Accumulate ? DB : dw + WLength;
            int first = chunk * PerChunk, last = Math.Min(G.N, first + PerChunk);
            int K = G.K, crs = G.Crs, pq = G.P * G.Q;
            float[]? colArray = WLength > 0 && !G.IsPointwise ? ColScratch(crs * pq) : null;
            fixed (float* colBuffer = colArray)
            {
                for (int n = first; n < last; n++)
                {
                    float* dy = DY + (long)n * K * pq;
                    bool overwrite = !Accumulate && n == first;
                    if (WLength > 0)
                    {
                        float* x = X + (long)n * G.C * G.H * G.W;
                        float* col = x;
                        if (colBuffer != null)
                        {
                            Im2col(x, colBuffer, G);
                            col = colBuffer;
                        }
                        Gemm.Sgemm(Transpose.No, Transpose.Yes, K, crs, pq, 1, new ReadOnlySpan<float>(dy, K * pq), pq,
                            new ReadOnlySpan<float>(col, crs * pq), pq, overwrite ? 0 : 1, new Span<float>(dw, K * crs), crs);
                    }
                    if (BLength > 0) SumRows(dy, db, K, pq, overwrite);
                }
            }
        }
    }

    /// <summary>db[k] (+)= Σ_j dy[k, j] over rows of length pq, summed left to right.</summary>
    private static void SumRows(float* dy, float* db, int k, int pq, bool overwrite)
    {
        for (int i = 0; i < k; i++)
        {
            float* row = dy + (long)i * pq;
            float s = 0;
            for (int j = 0; j < pq; j++) s += row[j];
            db[i] = overwrite ? s : db[i] + s;
        }
    }

    /// <summary>Adds the chunk partials, in chunk order, into dW and dB; each item owns a fixed block of elements.</summary>
    private struct SumPartialsBody : IParallelBody
    {
        public const int Block = 4096;
        public float* Partials, DW, DB;
        public int Count, Stride, WLength;

        public readonly void Invoke(int block)
        {
            int start = block * Block, end = Math.Min(Stride, start + Block);
            for (int i = start; i < end; i++)
            {
                float s = Partials[i];
                for (int c = 1; c < Count; c++) s += Partials[(long)c * Stride + i];
                if (i < WLength) DW[i] += s;
                else DB[i - WLength] += s;
            }
        }
    }
}
