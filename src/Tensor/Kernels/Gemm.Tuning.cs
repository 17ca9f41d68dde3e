using System.Collections.Concurrent;
using System.Diagnostics;

namespace NanoFed.Kernels;

/// <summary>What <see cref="Gemm.Tune"/> measured for one shape.</summary>
/// <param name="Shape">"NN M=512 N=512 K=512, 2 threads".</param>
/// <param name="Model">The cache model's plan (<see cref="Gemm.Plan"/> without a tuned plan).</param>
/// <param name="Winner">The plan kept: the model's unless a candidate beat it by <see cref="Gemm.TuneMargin"/>.</param>
/// <param name="ModelSeconds">The model plan's median seconds.</param>
/// <param name="WinnerSeconds">The kept plan's median seconds.</param>
/// <param name="Candidates">How many plans were timed, the model's included.</param>
public sealed record GemmTuning(string Shape, string Model, string Winner, double ModelSeconds, double WinnerSeconds, int Candidates);

/// <summary>One GEMM call's shape and the threads it could use, as <see cref="Gemm.Recorder"/> collects them.</summary>
internal readonly record struct GemmCall(Transpose TransA, Transpose TransB, int M, int N, int K, int Threads);

public static partial class Gemm
{
    /// <summary>
    /// While set, every <see cref="Sgemm"/> call counts its shape here: how `nanofed bench --tune` learns which
    /// products a network step runs. Null otherwise (one static read per call).
    /// </summary>
    internal static ConcurrentDictionary<GemmCall, int>? Recorder;

    /// <summary>
    /// A candidate must beat the model's plan by this fraction to replace it: on a shared host the same plan's time
    /// moves by a few percent from run to run, and a plan kept on noise would change from tuning to tuning.
    /// </summary>
    public const double TuneMargin = 0.03;

    /// <summary>
    /// Times the plans of an M×N×K product on this machine at the current <see cref="Threading.Workers.Count"/> and
    /// records the fastest for the shape's class in <paramref name="cache"/> (not saved). The candidates are the
    /// model's plan and its one-step variations: MC halved and doubled, NC doubled, column slices against the shared
    /// grid (when the product is wide enough to slice), B in place against packed (op(B) not transposed). They run
    /// interleaved in <paramref name="rounds"/> rounds (each timing repeats a small product until it lasts about a
    /// millisecond); a candidate replaces the model's plan when the median over the rounds of its time divided by
    /// the model's in the same round is below 1 − <see cref="TuneMargin"/>, the lowest such median winning. Every candidate's C is checked against the model plan's, bit for bit,
    /// before any time counts: a plan that changed a result would be a bug, and throws
    /// <see cref="InvalidOperationException"/>.
    /// </summary>
    public static GemmTuning Tune(Transpose transA, Transpose transB, int m, int n, int k, PlanCache cache, int rounds = 7)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (m < 1 || n < 1 || k < 1) throw new ArgumentException($"GEMM tuning needs positive dimensions, got M={m} N={n} K={k}");
        if (rounds < 1) throw new ArgumentException($"GEMM tuning needs at least 1 round, got {rounds}");
        var candidates = Candidates(transA, transB, m, n, k);
        var problem = new TuneProblem(transA, transB, m, n, k);
        float[] expected = new float[m * n];
        problem.Run(candidates[0], expected);
        foreach (var candidate in candidates)
        {
            problem.Run(candidate, problem.C);
            if (!problem.C.AsSpan().SequenceEqual(expected))
                throw new InvalidOperationException($"GEMM plan {candidate} changed the result of {transA}{transB} M={m} N={n} K={k}");
        }
        var times = Time(problem, candidates, rounds);
        int best = Winner(times, rounds);
        double model = Median(times, 0, rounds), bestSeconds = Median(times, best, rounds);
        cache.Set(GemmShape.Of(transA, transB, m, n, k), candidates[best], model, bestSeconds);
        var (_, blk) = Active;
        var op = new Operands { TransA = transA, TransB = transB, M = m, N = n, K = k };
        int threads = Threading.Workers.Count;
        string name = $"{(transA == Transpose.No ? 'N' : 'T')}{(transB == Transpose.No ? 'N' : 'T')} M={m} N={n} K={k}, {threads} thread{(threads == 1 ? "" : "s")}";
        return new GemmTuning(name, Describe(op, blk, candidates[0]), Describe(op, blk, candidates[best]), model, bestSeconds, candidates.Count);
    }

    /// <summary>One product to tune: seeded operands, and C to write.</summary>
    private sealed class TuneProblem
    {
        private readonly Transpose _transA, _transB;
        private readonly int _m, _n, _k, _lda, _ldb;
        private readonly float[] _a, _b;

        public TuneProblem(Transpose transA, Transpose transB, int m, int n, int k)
        {
            (_transA, _transB, _m, _n, _k) = (transA, transB, m, n, k);
            (_lda, _ldb) = (transA == Transpose.No ? k : m, transB == Transpose.No ? n : k);
            (_a, _b, C) = (new float[m * k], new float[k * n], new float[m * n]);
            var rng = new RngStream((ulong)m * 131 + (ulong)n * 7 + (ulong)k, 0);
            rng.FillUniform(_a, -1, 1);
            rng.FillUniform(_b, -1, 1);
        }

        public float[] C { get; }

        public void Run(GemmChoice choice, float[] c) => SgemmWith(choice, _transA, _transB, _m, _n, _k, 1, _a, _lda, _b, _ldb, 0, c, _n);
    }

    /// <summary>
    /// Seconds per call of each candidate (row) in each round (column), the candidates back to back within a round,
    /// each round in an order rotated by one.
    /// Each timing covers about a millisecond at least: one call of a small product is below what a shared host's
    /// timer noise lets one compare.
    /// </summary>
    private static double[,] Time(TuneProblem problem, List<GemmChoice> candidates, int rounds)
    {
        long once = Stopwatch.GetTimestamp();
        problem.Run(candidates[0], problem.C);
        int calls = (int)Math.Clamp(1e-3 / Math.Max(Stopwatch.GetElapsedTime(once).TotalSeconds, 1e-7), 1, 1000);
        var times = new double[candidates.Count, rounds];
        for (int r = 0; r < rounds; r++)
        {
            // Each round starts at another candidate, so none always runs first (after the previous round's last).
            for (int step = 0; step < candidates.Count; step++)
            {
                int i = (r + step) % candidates.Count;
                long start = Stopwatch.GetTimestamp();
                for (int j = 0; j < calls; j++) problem.Run(candidates[i], problem.C);
                times[i, r] = Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
            }
        }
        return times;
    }

    /// <summary>
    /// The candidate to keep: each against the model (row 0) within a round, the median of those ratios over the
    /// rounds, the lowest below 1 − <see cref="TuneMargin"/>; else the model. A load change between rounds moves both
    /// sides of a ratio alike, where it would move two medians apart.
    /// </summary>
    private static int Winner(double[,] times, int rounds)
    {
        int best = 0;
        double bestRatio = 1 - TuneMargin;
        var ratios = new double[times.GetLength(0), rounds];
        for (int i = 1; i < times.GetLength(0); i++)
        {
            for (int r = 0; r < rounds; r++) ratios[i, r] = times[i, r] / times[0, r];
            double ratio = Median(ratios, i, rounds);
            if (ratio < bestRatio) (best, bestRatio) = (i, ratio);
        }
        return best;
    }

    /// <summary>The model's choice first, then its one-step variations that change something for this shape.</summary>
    internal static List<GemmChoice> Candidates(Transpose transA, Transpose transB, int m, int n, int k)
    {
        var (_, blk) = Active;
        var op = new Operands { TransA = transA, TransB = transB, M = m, N = n, K = k };
        var model = ModelChoice(op, blk);
        var list = new List<GemmChoice> { model };
        int rows = RoundUp(op.M, blk.MR), cols = RoundUp(op.N, blk.NR);
        void Add(GemmChoice c)
        {
            // Two choices that block this shape alike are one candidate.
            static GemmChoice Effective(GemmChoice c, int rows, int cols) => c with { MC = Math.Min(c.MC, rows), NC = Math.Min(c.NC, cols) };
            if (IsValid(c, blk) && !list.Exists(x => Effective(x, rows, cols) == Effective(c, rows, cols))) list.Add(c);
        }
        Add(model with { MC = Math.Max(blk.MR, model.MC / 2 / blk.MR * blk.MR) });
        Add(model with { MC = model.MC * 2 });
        Add(model with { NC = model.NC * 2 });
        bool parallel = (long)op.M * op.N * op.K >= ParallelThreshold;
        if (parallel && ColumnParts(op, blk) > 1) Add(model with { Slices = !model.Slices });
        if (op.TransB == Transpose.No) Add(model with { BInPlace = !model.BInPlace });
        return list;
    }

    /// <summary>
    /// <see cref="Plan"/>'s text for choice <paramref name="c"/>: "MC=180 NC=1024 KC=512 (2 depth blocks), B packed,
    /// 2 column slices".
    /// </summary>
    private static string Describe(in Operands op, GemmBlocking model, GemmChoice c)
    {
        var blk = model with { MC = c.MC, NC = c.NC };
        bool parallel = (long)op.M * op.N * op.K >= ParallelThreshold;
        int parts = parallel && c.Slices ? ColumnParts(op, blk) : 1;
        int depthBlocks = op.K == 0 ? 0 : CeilDiv(op.K, blk.KC);
        string threads = parts > 1 ? $"{parts} column slices" : parallel && Threading.Workers.Count > 1 ? "shared tile grid" : "one thread";
        return $"MC={blk.MC} NC={blk.NC} KC={blk.KC} ({depthBlocks} depth block{(depthBlocks == 1 ? "" : "s")}), "
            + $"B {(c.BInPlace && op.TransB == Transpose.No ? "in place" : "packed")}, {threads}";
    }

    private static double Median(double[,] times, int row, int count)
    {
        var x = new double[count];
        for (int r = 0; r < count; r++) x[r] = times[row, r];
        Array.Sort(x);
        return count % 2 == 1 ? x[count / 2] : 0.5 * (x[count / 2 - 1] + x[count / 2]);
    }
}
