using System.Runtime.CompilerServices;
using NanoFed.Threading;

namespace NanoFed.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>One Sgemm call's operands, passed by pointer to the worker bodies (spans cannot cross threads).</summary>
    private struct Operands
    {
        public Transpose TransA, TransB;
        public int M, N, K, Lda, Ldb, Ldc;
        public float Alpha, Beta;
        public float* A, B, C;
    }

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C around micro-kernel <typeparamref name="TKernel"/>, with <paramref name="choice"/>
    /// (else the plan cache's or the model's, <see cref="Choose"/>): wide products go to the threads as whole column
    /// slices (see <see cref="ColumnParts"/>), the rest run <see cref="Loops{TKernel}"/>. Every C element is reduced in
    /// the same KC-blocked order whatever the choice, so the result is bit-identical for any choice and any
    /// <see cref="Workers.Count"/>.
    /// </summary>
    private static void Blocked<TKernel>(in Operands op, GemmBlocking model, GemmChoice? choice) where TKernel : struct, IMicroKernel
    {
        var c = choice ?? Choose(op, model, out _);
        var blk = model with { MC = c.MC, NC = c.NC };
        bool directB = c.BInPlace && op.TransB == Transpose.No;
        bool parallel = (long)op.M * op.N * op.K >= ParallelThreshold;
        int parts = parallel && c.Slices ? ColumnParts(op, blk) : 1;
        if (parts > 1)
        {
            Workers.For(parts, new PartBody<TKernel>(op, blk, parts, directB));
            return;
        }
        Loops<TKernel>(op, blk, parallel, directB);
    }

    /// <summary>
    /// How many column slices of C to hand to the threads whole, each packing its own panels of B into its own
    /// buffer: one per thread when each gets at least <see cref="MinPartColumns"/> columns, else 1 (the shared
    /// grid of <see cref="Loops{TKernel}"/>). Threads that share packed panels read half of them from the
    /// other core's cache; when the two cores sit on different dies that traffic cost a third of the speed
    /// (docs/performance.md, "The measurements behind the kernels' choices"). Each slice reads all of A.
    /// </summary>
    private static int ColumnParts(in Operands op, GemmBlocking blk) =>
        Math.Max(1, Math.Min(Workers.Count, op.N / Math.Max(MinPartColumns, blk.NR)));

    /// <summary>
    /// The portable BLIS loops: jc over NC columns, pc over equal depth blocks of at most KC, then a pass over rows
    /// (all of them when the threads share the loops, one MC block when one thread runs them) that (1) packs B into
    /// the calling thread's buffer (only a partial last panel when B is read in place, see <see cref="ReadBInPlace"/>)
    /// and A's partial last micro-panel, if the pass holds it (full micro-panels of A are read in place), and (2) runs
    /// a fixed grid of output tiles (MC rows × a chunk of NR-panels), each tile looping jr over B micro-panels and ir
    /// over A micro-panels. With <paramref name="parallel"/>, both steps spread over the threads; the grid depends
    /// only on the shape and the blocking. <paramref name="directB"/>: B's full micro-panels are read in place.
    /// </summary>
    private static void Loops<TKernel>(in Operands op, GemmBlocking blk, bool parallel, bool directB) where TKernel : struct, IMicroKernel
    {
        // One thread runs one MC block of A's rows across all its columns while the block is still in L2: a column
        // slice at n=2048 taking all 2048 rows per pass ran 483 GFLOP/s on 2 threads against 498.
        int rowsPerPass = parallel ? op.M : blk.MC;
        int maxCols = Math.Min(RoundUp(op.N, blk.NR), blk.NC);
        // Equal depth blocks (at most KC) rather than KC blocks and a thin remainder: K = 576 runs as 2 × 288, not 512 + 64.
        int kBlock = CeilDiv(op.K, CeilDiv(op.K, blk.KC));
        var buffers = PackBuffers.Current;
        float* packedA = buffers.A(blk.MR * kBlock);
        float* packedB = buffers.B(maxCols * kBlock);

        for (int jc = 0; jc < op.N; jc += blk.NC)
        {
            int nc = Math.Min(blk.NC, op.N - jc);
            for (int pc = 0; pc < op.K; pc += kBlock)
            {
                int kc = Math.Min(kBlock, op.K - pc);
                for (int ic = 0; ic < op.M; ic += rowsPerPass)
                {
                    int mc = Math.Min(rowsPerPass, op.M - ic);
                    // Equal row blocks (multiples of MR, at most MC) rather than MC blocks and a thin remainder.
                    int mcBlock = RoundUp(CeilDiv(mc, CeilDiv(mc, blk.MC)), blk.MR);
                    var pack = new PackBody(op, blk, packedA, packedB, ic, mc, jc, ic == 0 ? nc : 0, pc, kc, directB);
                    Run(pack.Items, pack, parallel);
                    var tiles = new TileBody<TKernel>(op, blk, packedA, packedB, ic, mc, mcBlock, jc, nc, pc, kc, pc == 0 ? op.Beta : 1f, directB);
                    Run(tiles.Items, tiles, parallel);
                }
            }
        }
    }

    /// <summary>
    /// The model's answer to whether full-width B micro-panels are read in place (row stride ldb) instead of packed:
    /// only when op(B) is row-major (not transposed) and M spans at most <see cref="DirectBMaxRowPanels"/>
    /// micro-panels, so each B panel is used so few times that copying it would cost about as much as the
    /// multiply-adds it feeds. The arithmetic is the same either way (a tuned plan may decide otherwise).
    /// </summary>
    private static bool ReadBInPlace(in Operands op, GemmBlocking blk) =>
        op.TransB == Transpose.No && CeilDiv(op.M, blk.MR) <= DirectBMaxRowPanels;

    private static void Run<TBody>(int items, in TBody body, bool parallel) where TBody : struct, IParallelBody
    {
        if (parallel)
        {
            Workers.For(items, body);
            return;
        }
        var copy = body;
        for (int i = 0; i < items; i++) copy.Invoke(i);
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    private static int CeilDiv(int x, int d) => (x + d - 1) / d;

    /// <summary>
    /// Column slice <c>index</c> of C (a whole number of NR panels, the last one shorter) computed by the serial
    /// loops on the running thread, with that thread's own pack buffers. The slicing changes only which thread
    /// computes an element, never its sum, so the bits do not depend on the thread count.
    /// </summary>
    private readonly struct PartBody<TKernel> : IParallelBody where TKernel : struct, IMicroKernel
    {
        private readonly Operands _op;
        private readonly GemmBlocking _blk;
        private readonly int _width;
        private readonly bool _directB;

        public PartBody(in Operands op, GemmBlocking blk, int parts, bool directB)
        {
            (_op, _blk, _directB) = (op, blk, directB);
            _width = RoundUp(CeilDiv(op.N, parts), blk.NR);
        }

        public void Invoke(int index)
        {
            int j0 = index * _width;
            if (j0 >= _op.N) return;
            var part = _op;
            part.N = Math.Min(_width, _op.N - j0);
            part.B += _op.TransB == Transpose.No ? j0 : (long)j0 * _op.Ldb;
            part.C += j0;
            Loops<TKernel>(part, _blk, parallel: false, _directB);
        }
    }

    /// <summary>
    /// Packs one pass: item 0 packs A's partial last micro-panel when the pass holds it (M not a multiple of MR;
    /// the kernel reads MR rows and the rows past M do not exist); the other items each pack
    /// <see cref="PanelsPerItem"/> NR micro-panels of B (none when nc is 0: B is already packed for this pc).
    /// </summary>
    private readonly struct PackBody : IParallelBody
    {
        private const int PanelsPerItem = 8;
        private readonly Operands _op;
        private readonly GemmBlocking _blk;
        private readonly float* _packedA, _packedB;
        private readonly int _partialRow, _jc, _nc, _pc, _kc, _aItems;
        private readonly bool _directB;

        public PackBody(in Operands op, GemmBlocking blk, float* packedA, float* packedB, int ic, int mc, int jc, int nc, int pc, int kc, bool directB)
        {
            (_op, _blk, _jc, _nc, _pc, _kc, _directB) = (op, blk, jc, nc, pc, kc, directB);
            _packedA = packedA;
            _packedB = packedB;
            _partialRow = op.M / blk.MR * blk.MR;
            _aItems = _partialRow < op.M && ic + mc == op.M ? 1 : 0;
            Items = _aItems + CeilDiv(CeilDiv(nc, blk.NR), PanelsPerItem);
        }

        public int Items { get; }

        [MethodImpl(Inlining.HotPath)]
        public void Invoke(int index)
        {
            int NR = _blk.NR;
            if (index < _aItems)
            {
                PackPartialA(_op.TransA, _op.A, _op.Lda, _partialRow, _op.M - _partialRow, _pc, _kc, _blk.MR, _packedA);
                return;
            }
            int first = (index - _aItems) * PanelsPerItem * NR;
            int width = Math.Min(_nc, first + PanelsPerItem * NR) - first;
            // In-place B needs only a partial last panel packed (a full-width read would overrun the row).
            PackB(_op.TransB, _op.B, _op.Ldb, _pc, _kc, _jc + first, width, NR, _packedB + (long)first * _kc, _directB);
        }
    }

    /// <summary>
    /// One pass's grid of output tiles: MC rows × a chunk of NR-panels. The chunk width is set so that the grid
    /// has at least <see cref="MinTiles"/> tiles when the shape allows (skinny M still spreads over threads).
    /// </summary>
    private readonly struct TileBody<TKernel> : IParallelBody where TKernel : struct, IMicroKernel
    {
        private const int MinTiles = 16;
        private readonly Operands _op;
        private readonly float* _packedA, _packedB;
        private readonly int _ic, _mc, _mcBlock, _jc, _nc, _pc, _kc, _rowTiles, _panelsPerTile;
        private readonly float _beta;
        private readonly bool _directB;
        private readonly nint _rsA, _psA;

        public TileBody(in Operands op, GemmBlocking blk, float* packedA, float* packedB, int ic, int mc, int mcBlock, int jc, int nc, int pc, int kc, float beta, bool directB)
        {
            (_op, _ic, _mc, _mcBlock, _jc, _nc, _pc, _kc, _beta, _directB) = (op, ic, mc, mcBlock, jc, nc, pc, kc, beta, directB);
            // op(A)[i, p] in place: A stored M×K has rows contiguous in p, A stored K×M has columns.
            (_rsA, _psA) = op.TransA == Transpose.No ? (op.Lda, 1) : (1, op.Lda);
            _packedA = packedA;
            _packedB = packedB;
            _rowTiles = CeilDiv(mc, mcBlock);
            int panels = CeilDiv(nc, blk.NR);
            int colTiles = Math.Clamp(CeilDiv(MinTiles, _rowTiles), 1, panels);
            _panelsPerTile = CeilDiv(panels, colTiles);
            Items = _rowTiles * CeilDiv(panels, _panelsPerTile);
        }

        public int Items { get; }

        [MethodImpl(Inlining.HotPath)]
        public void Invoke(int index)
        {
            int MR = TKernel.MR, NR = TKernel.NR;
            int rowTile = index % _rowTiles, colTile = index / _rowTiles;
            int i0 = rowTile * _mcBlock, i1 = Math.Min(_mc, i0 + _mcBlock);
            int j0 = colTile * _panelsPerTile * NR, j1 = Math.Min(_nc, j0 + _panelsPerTile * NR);
            int kc = _kc, ldc = _op.Ldc;
            float alpha = _op.Alpha, beta = _beta;
            for (int jr = j0; jr < j1; jr += NR)
            {
                int n = Math.Min(NR, j1 - jr);
                bool inPlace = _directB && n == NR;
                float* b = inPlace ? _op.B + (long)_pc * _op.Ldb + _jc + jr : _packedB + (long)jr * kc;
                int ldb = inPlace ? _op.Ldb : NR;
                float* c = _op.C + (long)(_ic + i0) * ldc + _jc + jr;
                for (int ir = i0; ir < i1; ir += MR)
                {
                    int m = Math.Min(MR, i1 - ir);
                    if (m == MR && n == NR) TKernel.Run(kc, _op.A + (_ic + ir) * _rsA + _pc * _psA, _rsA, _psA, b, ldb, c, ldc, alpha, beta);
                    else if (m == MR) RunEdge<TKernel>(kc, _op.A + (_ic + ir) * _rsA + _pc * _psA, _rsA, _psA, b, ldb, c, ldc, m, n, alpha, beta);
                    else RunEdge<TKernel>(kc, _packedA, 1, MR, b, ldb, c, ldc, m, n, alpha, beta);
                    c += (long)MR * ldc;
                }
            }
        }
    }
}
