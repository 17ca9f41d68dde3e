using System.Runtime.CompilerServices;
using NanoFed.Threading;

namespace NanoFed.Kernels;

public static unsafe partial class Conv2d
{
    /// <summary>Most batch partials backward-weight keeps (the batch is cut into at most this many fixed chunks).</summary>
    private const int MaxPartials = 16;

    /// <summary>
    /// Most batch partials of the pixel-major and Winograd paths: pixel-major's partials are summed transposed, and 4
    /// (against 16) keeps them in L2; Winograd's each end in a filter transform (docs/performance.md, "The
    /// measurements behind the kernels' choices"). 4 still splits over 2 and 4 threads.
    /// </summary>
    private const int MaxFewPartials = 4;

    /// <summary>Float budget of the batch partials (16 MB): large filters get fewer chunks.</summary>
    private const int PartialBudget = 1 << 22;

    /// <summary>
    /// Accumulates the input gradient: dX (N, C, H, W) += conv2d-transpose(dY (N, K, P, Q), w (K, C, R, S)).
    /// A stride-1 convolution with padding below the filter size (3×3 pad 1, the hot case) is a forward
    /// convolution of dY with the filters flipped and transposed (C, K, R, S) and padding R−1−PadH, S−1−PadW, which
    /// avoids col2im; it is used where it measured faster (see <see cref="UseFlippedForward"/>). Otherwise, per
    /// group of images, col = wᵀ · dY_group by GEMM, then col2im adds col into each dX_n. Groups run in parallel;
    /// each writes only its own images of dX, so the result does not depend on the thread count. With
    /// <paramref name="overwrite"/>, dX is overwritten instead (its old contents are never read).
    /// </summary>
    public static void BackwardData(ReadOnlySpan<float> dY, ReadOnlySpan<float> w, Span<float> dX, in Conv2dGeometry g, bool overwrite = false)
    {
        g.CheckLengths("backward-data", dX.Length, w.Length, 0, dY.Length);
        fixed (float* pdy = dY, pw = w, pdx = dX)
        {
            if (UseDirectStride2(g))
            {
                BackwardDataDirectStride2(pdy, pw, pdx, g, overwrite);
                return;
            }
            if (UseFlippedForward(g))
            {
                var flipped = Flipped(g);
                fixed (float* wf = FlipScratch(g.WLength))
                {
                    FlipTranspose(pw, wf, g);
                    ForwardCore(pdy, wf, null, pdx, flipped, accumulate: !overwrite);
                }
                return;
            }
            var body = new BackwardDataBody { DY = pdy, Wt = pw, DX = pdx, G = g, Group = ImagesPerGroup(g), Overwrite = overwrite };
            ForEachGroup(GroupCount(g, body.Group), ref body);
        }
    }

    /// <summary>
    /// Accumulates the filter and bias gradients: dW (K, C, R, S) += Σ_n dY_n · col_nᵀ and dB (K) += Σ_{n,p,q} dY;
    /// an empty dW or dB is skipped. The batch is cut into fixed chunks (of whole image groups) that depend only
    /// on the geometry; each chunk sums its groups in order into a partial, and the partials are added in chunk
    /// order, so the result is bit-identical for any <see cref="Workers.Count"/>. The kernel is chosen by shape:
    /// images in the vector lanes (<see cref="UseWeightLanes"/>), Winograd (<see cref="UseWinogradWeight"/>),
    /// pixel-major GEMM (<see cref="UsePixelMajorWeight"/>),
    /// the direct 3×3 kernel, or im2col + GEMM.
    /// </summary>
    public static void BackwardWeight(ReadOnlySpan<float> x, ReadOnlySpan<float> dY, Span<float> dW, Span<float> dB,
        in Conv2dGeometry g)
    {
        g.CheckLengths("backward-weight", x.Length, dW.IsEmpty ? -1 : dW.Length, dB.Length, dY.Length);
        if (dW.IsEmpty && dB.IsEmpty) return;
        int wLength = dW.IsEmpty ? 0 : g.WLength, bLength = dB.IsEmpty ? 0 : g.K;
        bool lanes = !dW.IsEmpty && UseWeightLanes(g);
        bool winograd = !dW.IsEmpty && !lanes && UseWinogradWeight(g);
        bool pixelMajor = !dW.IsEmpty && !lanes && !winograd && UsePixelMajorWeight(g), transposed = pixelMajor && PixelMajorTransposed(g);
        bool direct = !dW.IsEmpty && !lanes && !winograd && !pixelMajor && UseDirectWeight3x3(g);
        int group = lanes ? LaneImages : direct || winograd ? 1 : ImagesPerGroup(g), groups = GroupCount(g, group);
        int chunks = ChunkCount(groups, wLength + bLength, pixelMajor || winograd ? MaxFewPartials : MaxPartials), perChunk = (groups + chunks - 1) / chunks;
        chunks = (groups + perChunk - 1) / perChunk;
        fixed (float* px = x, pdy = dY, pdw = dW, pdb = dB)
        {
            var body = new BackwardWeightBody
            {
                X = px, DY = pdy, G = g, Group = group, GroupsPerChunk = perChunk, WLength = wLength, BLength = bLength,
                Lanes = lanes, Winograd = winograd, Direct = direct, PixelMajor = pixelMajor, Transposed = transposed,
            };
            if (chunks == 1 && !pixelMajor)
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
                ForEachGroup(chunks, ref body);
                var sum = new SumPartialsBody
                {
                    Partials = partials, Count = chunks, Stride = stride, DW = pdw, WLength = wLength, DB = pdb, G = g,
                    PixelMajor = pixelMajor, Transposed = transposed,
                };
                Workers.For((stride + SumPartialsBody.Block - 1) / SumPartialsBody.Block, in sum);
            }
        }
    }

    /// <summary>
    /// Number of batch chunks: a function of the geometry only, never of the thread count. A power of two (at
    /// most <paramref name="maxPartials"/>, within <see cref="PartialBudget"/>), so that chunks split evenly over 2, 4, ... threads.
    /// </summary>
    private static int ChunkCount(int groups, int partialLength, int maxPartials)
    {
        int limit = Math.Min(Math.Min(groups, maxPartials), PartialBudget / Math.Max(1, partialLength));
        return limit <= 1 ? 1 : 1 << (31 - System.Numerics.BitOperations.LeadingZeroCount((uint)limit));
    }

    /// <summary>
    /// Whether backward-data runs as a forward convolution with flipped filters: stride 1, padding below the
    /// filter size, and (measured) only where it wins: when that forward runs the direct 3×3 kernel or Winograd, or when the
    /// output plane fills a GEMM on its own (P·Q ≥ <see cref="TargetColumns"/>, where col2im is the largest cost)
    /// and the flipped convolution's GEMM has at least as many rows as the original (C ≥ K, C ≥ 8); with few input
    /// channels (3 → 64) it would be much slower.
    /// </summary>
    private static bool UseFlippedForward(in Conv2dGeometry g) =>
        g.StrideH == 1 && g.StrideW == 1 && g.PadH < g.R && g.PadW < g.S && !g.IsPointwise
        && (UseDirect3x3(Flipped(g)) || UseWinograd(Flipped(g)) || (g.P * g.Q >= TargetColumns && g.C >= g.K && g.C >= 8));

    /// <summary>The forward convolution that computes backward-data: dY (N, K, P, Q) in, filters (C, K, R, S), dX (N, C, H, W) out.</summary>
    private static Conv2dGeometry Flipped(in Conv2dGeometry g) =>
        new(g.N, g.K, g.P, g.Q, g.C, g.R, g.S, 1, 1, g.R - 1 - g.PadH, g.S - 1 - g.PadW);

    /// <summary>wf[c, k, r, s] = w[k, c, R−1−r, S−1−s]: the filters of the forward convolution that computes backward-data.</summary>
    private static void FlipTranspose(float* w, float* wf, in Conv2dGeometry g)
    {
        int rs = g.R * g.S;
        for (int k = 0; k < g.K; k++)
            for (int c = 0; c < g.C; c++)
            {
                float* src = w + ((long)k * g.C + c) * rs;
                float* dst = wf + ((long)c * g.K + k) * rs;
                for (int i = 0; i < rs; i++) dst[i] = src[rs - 1 - i];
            }
    }

    private struct BackwardDataBody : IParallelBody
    {
        public float* DY, Wt, DX;
        public Conv2dGeometry G;
        public int Group;
        public bool Overwrite;

        public readonly void Invoke(int group)
        {
            int first = group * Group, count = Math.Min(Group, G.N - first);
            int K = G.K, crs = G.Crs, pq = G.P * G.Q, cols = count * pq, chw = G.C * G.H * G.W;
            var wSpan = new ReadOnlySpan<float>(Wt, K * crs);
            if (count == 1 && G.IsPointwise)
            {
                Gemm.Sgemm(Transpose.Yes, Transpose.No, crs, pq, K, 1, wSpan, crs, new ReadOnlySpan<float>(DY + (long)first * K * pq, K * pq), pq,
                    Overwrite ? 0 : 1, new Span<float>(DX + (long)first * chw, crs * pq), pq);
                return;
            }
            // col2im only adds; the group's own images are cleared here, just before, while they are cache-sized.
            if (Overwrite) new Span<float>(DX + (long)first * chw, count * chw).Clear();
            fixed (float* col = ColScratch(crs * cols + (count == 1 ? 0 : K * cols)))
            {
                float* dyg = DY + (long)first * K * pq;
                if (count > 1)
                {
                    dyg = col + (long)crs * cols;
                    GatherGroup(DY, first, count, dyg, G);
                }
                Gemm.Sgemm(Transpose.Yes, Transpose.No, crs, cols, K, 1, wSpan, crs, new ReadOnlySpan<float>(dyg, K * cols), cols,
                    0, new Span<float>(col, crs * cols), cols);
                for (int i = 0; i < count; i++) Col2im(col + i * pq, cols, DX + (long)(first + i) * chw, G);
            }
        }
    }

    private struct BackwardWeightBody : IParallelBody
    {
        public float* X, DY, DW, DB, Partials;
        public Conv2dGeometry G;
        public int Group, GroupsPerChunk, WLength, BLength, PartialStride;
        public bool Accumulate, Lanes, Winograd, Direct, PixelMajor, Transposed;

        /// <summary>Sums the groups of chunk <paramref name="chunk"/> in order: into dW/dB when accumulating, else into its partial.</summary>
        public readonly void Invoke(int chunk)
        {
            float* dw = Accumulate ? DW : Partials + (long)chunk * PartialStride;
            float* db = Accumulate ? DB : dw + WLength;
            int firstGroup = chunk * GroupsPerChunk, groups = GroupCount(G, Group);
            int lastGroup = Math.Min(groups, firstGroup + GroupsPerChunk);
            int K = G.K, crs = G.Crs, pq = G.P * G.Q, chw = G.C * G.H * G.W;
            if (Lanes)
            {
                fixed (float* buffer = ColScratch(WeightLanesScratch(G)))
                {
                    for (int grp = firstGroup; grp < lastGroup; grp++)
                    {
                        int first = grp * Group, count = Math.Min(Group, G.N - first);
                        bool overwrite = !Accumulate && grp == firstGroup;
                        WeightLanes(X + (long)first * chw, DY + (long)first * K * pq, count, dw, G, overwrite, buffer);
                        if (BLength > 0)
                            for (int n = first; n < first + count; n++) SumRows(DY + (long)n * K * pq, db, K, pq, overwrite && n == first);
                    }
                }
                return;
            }
            if (Winograd)
            {
                // Groups are single images here: the chunk's images go to the kernel in one call.
                int count = lastGroup - firstGroup;
                bool overwrite = !Accumulate;
                fixed (float* buffer = ColScratch(WinogradWeightScratch(G, count)))
                    WeightWinograd(X + (long)firstGroup * chw, DY + (long)firstGroup * K * pq, count, dw, G, overwrite, buffer);
                if (BLength > 0)
                    for (int n = firstGroup; n < lastGroup; n++) SumRows(DY + (long)n * K * pq, db, K, pq, overwrite && n == firstGroup);
                return;
            }
            if (Direct)
            {
                // Groups are single images here; the direct kernel sums runs of images from the chunk's start.
                int images = WeightImages(G);
                fixed (float* buffer = ColScratch(images * WeightImageScratch(G)))
                {
                    for (int n = firstGroup; n < lastGroup; n += images)
                    {
                        int count = Math.Min(images, lastGroup - n);
                        bool first = !Accumulate && n == firstGroup;
                        WeightDirect3x3(X + (long)n * chw, DY + (long)n * K * pq, count, dw, G, first, buffer);
                        if (BLength > 0)
                            for (int i = n; i < n + count; i++) SumRows(DY + (long)i * K * pq, db, K, pq, first && i == n);
                    }
                }
                return;
            }
            if (PixelMajor)
            {
                fixed (float* buffer = ColScratch(PixelMajorScratchLength(G, Group)))
                {
                    for (int grp = firstGroup; grp < lastGroup; grp++)
                    {
                        int first = grp * Group, count = Math.Min(Group, G.N - first);
                        WeightPixelMajor(X, DY, first, count, dw, grp == firstGroup, Transposed, buffer, G);
                        if (BLength > 0)
                            for (int n = first; n < first + count; n++) SumRows(DY + (long)n * K * pq, db, K, pq, n == firstGroup * Group);
                    }
                }
                return;
            }
            int maxCols = Group * pq;
            bool direct = Group == 1;
            bool unfold = WLength > 0 && !(direct && G.IsPointwise);
            int colLength = unfold ? crs * maxCols : 0;
            int scratch = colLength + (direct ? 0 : K * maxCols);
            fixed (float* buffer = scratch > 0 ? ColScratch(scratch) : null)
            {
                for (int grp = firstGroup; grp < lastGroup; grp++)
                {
                    int first = grp * Group, count = Math.Min(Group, G.N - first), cols = count * pq;
                    bool overwrite = !Accumulate && grp == firstGroup;
                    float* dyg = DY + (long)first * K * pq;
                    if (!direct)
                    {
                        dyg = buffer + colLength;
                        GatherGroup(DY, first, count, dyg, G);
                    }
                    if (WLength > 0)
                    {
                        float* col = X + (long)first * chw;
                        if (unfold)
                        {
                            Im2colGroup(X, first, count, buffer, G);
                            col = buffer;
                        }
                        Gemm.Sgemm(Transpose.No, Transpose.Yes, K, crs, cols, 1, new ReadOnlySpan<float>(dyg, K * cols), cols,
                            new ReadOnlySpan<float>(col, crs * cols), cols, overwrite ? 0 : 1, new Span<float>(dw, K * crs), crs);
                    }
                    if (BLength > 0) SumRows(dyg, db, K, cols, overwrite);
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

    /// <summary>
    /// Adds the chunk partials, in chunk order, into dW and dB; each item owns a fixed block of elements. Pixel-major
    /// partials hold dW with columns in (r, s, c) order (K × R·S·C), or its transpose: read in order and added where
    /// that element sits in dW, tracked with counters (no divisions per element).
    /// </summary>
    private struct SumPartialsBody : IParallelBody
    {
        public const int Block = 4096;
        public float* Partials, DW, DB;
        public int Count, Stride, WLength;
        public Conv2dGeometry G;
        public bool PixelMajor, Transposed;

        [MethodImpl(Inlining.HotPath)]
        public readonly void Invoke(int block)
        {
            int start = block * Block, end = Math.Min(Stride, start + Block);
            // Pixel-major element i is dW[k, c, r, s] with tap = r·S + s, at i = (k·R·S + tap)·C + c, or (tap·C + c)·K + k.
            int C = G.C, K = G.K, rs = G.R * G.S, crs = C * rs;
            int k = start / crs, tap = start % crs / C, c = start % C;
            if (Transposed) (k, c, tap) = (start % K, start / K % C, start / K / C);
            for (int i = start; i < end; i++)
            {
                float s = Partials[i];
                for (int p = 1; p < Count; p++) s += Partials[(long)p * Stride + i];
                if (i >= WLength) DB[i - WLength] += s;
                else if (!PixelMajor) DW[i] += s;
                else
                {
                    DW[(long)k * crs + c * rs + tap] += s;
                    if (Transposed)
                    {
                        if (++k == K)
                        {
                            k = 0;
                            if (++c == C) (c, tap) = (0, tap + 1);
                        }
                    }
                    else if (++c == C)
                    {
                        c = 0;
                        if (++tap == rs) (tap, k) = (0, k + 1);
                    }
                }
            }
        }
    }
}
