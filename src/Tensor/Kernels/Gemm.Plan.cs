using System.Runtime.Intrinsics;

namespace NanoFed.Kernels;

/// <summary>
/// The choices of one GEMM that change its speed and never its bits: the row and column blocking (MC, NC), whether
/// a wide product goes to the threads as column slices or as one shared tile grid, and whether full micro-panels of
/// B are read in place or packed. KC is not among them: it sets the summation order.
/// </summary>
/// <param name="MC">Rows of A per compute tile (a multiple of the micro-kernel's MR).</param>
/// <param name="NC">Columns of B packed at once (a multiple of NR).</param>
/// <param name="Slices">Whether a product wide enough is cut into one column slice per thread (else the shared grid).</param>
/// <param name="BInPlace">Whether B's full micro-panels are read in place (taken only when op(B) is not transposed).</param>
internal readonly record struct GemmChoice(int MC, int NC, bool Slices, bool BInPlace);

/// <summary>
/// The class of GEMM shapes one cached choice serves: both transposes, each of M, N and K rounded up to a power of two
/// (its base-2 logarithm), and the threads the call can use (<see cref="Threading.Workers.Available"/>: a convolution's
/// per-image GEMM inside a parallel loop runs on one; the layout that wins on 2 threads says nothing about 1).
/// </summary>
internal readonly record struct GemmShape(Transpose TransA, Transpose TransB, int MLog, int NLog, int KLog, int Threads)
{
    public static GemmShape Of(Transpose transA, Transpose transB, int m, int n, int k) =>
        new(transA, transB, CeilLog2(m), CeilLog2(n), CeilLog2(k), Threading.Workers.Available);

    private static int CeilLog2(int x) => x <= 1 ? 0 : 32 - (int)uint.LeadingZeroCount((uint)(x - 1));
}

public static partial class Gemm
{
    /// <summary>The blocking and micro-kernel name of the widest accelerated vector: what Sgemm dispatches to.</summary>
    internal static (string Kernel, GemmBlocking Blocking) Active =>
        Vector512.IsHardwareAccelerated ? ("Vector512 12x32", Blocking512)
        : Vector256.IsHardwareAccelerated ? ("Vector256 6x16", Blocking256)
        : Vector128.IsHardwareAccelerated ? ("Vector128 6x8", Blocking128)
        : ("scalar 4x4", BlockingScalar);

    /// <summary>
    /// How <see cref="Sgemm"/> runs an M×N×K product on this machine with the current <see cref="Threading.Workers.Count"/>:
    /// the micro-kernel, the blocking, the depth blocks, whether B is read in place, how the threads share the work,
    /// and whether that plan was measured (<see cref="PlanCache"/>, "tuned") or comes from the cache model
    /// (<see cref="GemmBlocking.For"/>, "model"). For benchmark output; the sums are the same whatever it says.
    /// op(A)'s orientation does not enter the layout (A is read in place either way); the plan of an untransposed A is shown.
    /// </summary>
    public static string Plan(Transpose transB, int m, int n, int k)
    {
        var (kernel, blk) = Active;
        var op = new Operands { TransA = Transpose.No, TransB = transB, M = m, N = n, K = k };
        var choice = Choose(op, blk, out bool tuned);
        return $"{kernel} {Describe(op, blk, choice)}, {(tuned ? "tuned" : "model")}";
    }

    /// <summary>The choice of the cache model and the measured constants: what runs when no tuned plan applies.</summary>
    private static GemmChoice ModelChoice(in Operands op, GemmBlocking blk) => new(blk.MC, blk.NC, true, ReadBInPlace(op, blk));

    /// <summary>
    /// The choice for this call: the tuned one of its shape class if the plan cache holds one that fits the kernel
    /// (<paramref name="tuned"/>), else the model's.
    /// </summary>
    private static GemmChoice Choose(in Operands op, GemmBlocking blk, out bool tuned)
    {
        var cache = PlanCache.Active;
        var choice = default(GemmChoice);
        tuned = cache.Count > 0 && cache.TryGet(GemmShape.Of(op.TransA, op.TransB, op.M, op.N, op.K), out choice) && IsValid(choice, blk);
        return tuned ? choice : ModelChoice(op, blk);
    }

    /// <summary>Whether <paramref name="c"/> fits blocking <paramref name="blk"/>'s tile (MC, NC positive multiples of MR, NR, within bounds).</summary>
    internal static bool IsValid(GemmChoice c, GemmBlocking blk) =>
        c.MC > 0 && c.MC % blk.MR == 0 && c.MC <= MaxMC && c.NC > 0 && c.NC % blk.NR == 0 && c.NC <= MaxNC;

    /// <summary>Largest MC a plan may ask for (a block of A's rows far past any L2).</summary>
    internal const int MaxMC = 4096;

    /// <summary>Largest NC a plan may ask for.</summary>
    internal const int MaxNC = 8192;
}
