using System.Runtime.Intrinsics;

namespace NanoFed.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// How <see cref="Sgemm"/> runs an M×N×K product on this machine with the current <see cref="Threading.Workers.Count"/>:
    /// the micro-kernel, the blocking (from the machine's caches, <see cref="GemmBlocking.For"/>), the depth blocks,
    /// whether B is read in place, and how the threads share the work. For benchmark output; the sums are the same
    /// whatever it says. op(A)'s orientation does not enter: A is read in place either way.
    /// </summary>
    public static string Plan(Transpose transB, int m, int n, int k)
    {
        var (kernel, blk) = Vector512.IsHardwareAccelerated ? ("Vector512 12x32", Blocking512)
            : Vector256.IsHardwareAccelerated ? ("Vector256 6x16", Blocking256)
            : Vector128.IsHardwareAccelerated ? ("Vector128 6x8", Blocking128)
            : ("scalar 4x4", BlockingScalar);
        var op = new Operands { TransB = transB, M = m, N = n, K = k };
        bool parallel = (long)m * n * k >= ParallelThreshold;
        int parts = parallel ? ColumnParts(op, blk) : 1;
        int depthBlocks = k == 0 ? 0 : CeilDiv(k, blk.KC);
        string threads = parts > 1 ? $"{parts} column slices" : parallel && Threading.Workers.Count > 1 ? "shared tile grid" : "one thread";
        return $"{kernel} MC={blk.MC} NC={blk.NC} KC={blk.KC} ({depthBlocks} depth block{(depthBlocks == 1 ? "" : "s")}), "
            + $"B {(ReadBInPlace(op, blk) ? "in place" : "packed")}, {threads}";
    }
}
