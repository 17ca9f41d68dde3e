using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NanoFed.Kernels;

/// <summary>
/// Cache blocking for one micro-kernel (BLIS's per-ISA context): MR×NR is the register tile; a KC×NR
/// micro-panel of B should sit in L1, an MC×KC block of A (read in place) in L2, a KC×NC block of B in L3.
/// </summary>
/// <param name="MR">Rows of the micro-kernel tile.</param>
/// <param name="NR">Columns of the micro-kernel tile.</param>
/// <param name="KC">Depth of one packed block; the same on every ISA, so every path sums in the same order.</param>
/// <param name="MC">Rows of A per compute tile (a multiple of MR).</param>
/// <param name="NC">Columns of B packed at once (a multiple of NR).</param>
internal readonly record struct GemmBlocking(int MR, int NR, int KC, int MC, int NC);

public static partial class Gemm
{
    /// <summary>
    /// Deepest K block, shared by all ISAs: K is cut into equal blocks of at most KC, and each C element is summed in
    /// one fused multiply-add chain per block, in the same order on every path and thread count. A deeper block
    /// spreads each tile's load and store of C over more FMAs, and at K = 512 updates C once instead of twice.
    /// Measured against 256 on Zen 5, 2 threads, alternating builds: SGEMM n = 512, 1024, 2048 faster by 7-12%, 4-6%
    /// and 5-8%; the convolutions and network steps the same within noise or faster by up to 8%; the AVX2 path by 3%.
    /// The micro-kernels read B's micro-panel from L2 as fast as from L1 (Vector512 kernel alone on cached data:
    /// 96.4% of peak at depth 512 against 94.4% at 256).
    /// </summary>
    private const int KC = 512;

    // NC = 1024 measured on Zen 5 at n=2048, 2 threads: median 413 GFLOP/s against 393 with NC = 4096 (the whole row),
    // the same at n=1024 (at KC = 256). MC = 180 keeps a 512-deep block of A's rows (360 KB) in L2 beside B's panels.
    //                                                  MR  NR  KC   MC    NC
    private static readonly GemmBlocking Blocking512 = new(12, 32, KC, 180, 1024);
    private static readonly GemmBlocking Blocking256 = new(6, 16, KC, 144, 1024);
    private static readonly GemmBlocking Blocking128 = new(6, 8, KC, 96, 1024);
    private static readonly GemmBlocking BlockingScalar = new(4, 4, KC, 64, 1024);

    /// <summary>
    /// Read B in place rather than packed when M spans at most this many MR-row micro-panels (see ReadBInPlace):
    /// conv-shaped products (M = 16..128 filters) and Linear batches. Measured on Zen 5, 2 threads, M×N×K =
    /// 16×1024×144: 241 against 167 GFLOP/s packed; 128×256×1152: 188 against 176 (median, busy machine).
    /// </summary>
    private const int DirectBMaxRowPanels = 16;

    /// <summary>Fewest columns of C a thread computes on its own before the threads share one grid instead.</summary>
    private const int MinPartColumns = 128;

    /// <summary>Below this many multiply-adds (M·N·K) the work runs on the calling thread only.</summary>
    private const long ParallelThreshold = 64L * 64 * 64;

    /// <summary>
    /// The packed panels of one Sgemm call (B's, and A's partial last micro-panel), owned by the calling thread and
    /// reused by its later calls (worker threads read and fill them through pointers while the call runs). Pinned
    /// arrays on the pinned-object heap, aligned by hand to 64 bytes for aligned vector loads of B.
    /// </summary>
    private sealed unsafe class PackBuffers
    {
        [ThreadStatic]
        private static PackBuffers? _current;

        private float[] _a = [], _b = [];

        public static PackBuffers Current => _current ??= new PackBuffers();

        public float* A(int length) => Aligned(ref _a, length);

        public float* B(int length) => Aligned(ref _b, length);

        private static float* Aligned(ref float[] array, int length)
        {
            if (array.Length < length + 16) array = GC.AllocateUninitializedArray<float>(length + 16, pinned: true);
            nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
            return (float*)((p + 63) & ~(nint)63);
        }
    }
}
