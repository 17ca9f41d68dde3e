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
internal readonly record struct GemmBlocking(int MR, int NR, int KC, int MC, int NC)
{
    /// <summary>
    /// The blocking of an MR×NR micro-kernel on a machine with <paramref name="caches"/>, in the spirit of BLIS's
    /// analytical model (Low et al., "Analytical Modeling Is Enough for High-Performance BLIS", 2016) but with KC fixed
    /// (it sets the summation order, which must not depend on the machine's caches): A's MC×KC block, read in place, takes
    /// about a third of L2 (0.36), leaving room for the B micro-panels that stream through it and for C; B's KC×NC
    /// block takes an eighth of one CPU's share of L3; on the hosts the constants were measured on this gives the MC and
    /// NC that measured best (docs/performance.md, "The measurements behind the kernels' choices"). Neither MC nor NC changes any sum, so the blocking changes speed only,
    /// never bits.
    /// </summary>
    public static GemmBlocking For(int mr, int nr, CpuCaches caches)
    {
        const int kc = Gemm.DepthBlock;
        long l2 = caches.L2 ?? Gemm.AssumedL2;
        long l3Share = caches.L3 is { } l3 ? l3 / Math.Max(1, caches.L3SharedBy ?? 1) : Gemm.AssumedL3Share;
        int mc = (int)Math.Clamp(l2 * 36 / 100 / (kc * sizeof(float)) / mr * mr, 4 * mr, 1024 / mr * mr);
        int nc = (int)Math.Clamp(l3Share / 8 / (kc * sizeof(float)) / nr * nr, 8 * nr, 2048 / nr * nr);
        return new GemmBlocking(mr, nr, kc, mc, nc);
    }
}

public static partial class Gemm
{
    /// <summary>
    /// Deepest K block, shared by all ISAs: K is cut into equal blocks of at most KC, and each C element is summed in
    /// one fused multiply-add chain per block, in the same order on every path and thread count. A deeper block
    /// spreads each tile's load and store of C over more FMAs, and at K = 512 updates C once instead of twice; the
    /// micro-kernels read B's micro-panel from L2 as fast as from L1, so the deeper panel costs nothing (512 against
    /// 256: docs/performance.md, "The measurements behind the kernels' choices").
    /// </summary>
    private const int KC = 512;

    /// <summary><see cref="KC"/>, for <see cref="GemmBlocking.For"/>.</summary>
    internal const int DepthBlock = KC;

    /// <summary>L2 assumed when the machine does not say (the hosts the constants were first measured on: Zen 5, 1 MB per core).</summary>
    internal const long AssumedL2 = 1L << 20;

    /// <summary>One CPU's share of L3 assumed when the machine does not say (32 MB shared by 2 vCPUs on those hosts).</summary>
    internal const long AssumedL3Share = 16L << 20;

    private static readonly GemmBlocking Blocking512 = GemmBlocking.For(12, 32, MachineInfo.Current.Caches);
    private static readonly GemmBlocking Blocking256 = GemmBlocking.For(6, 16, MachineInfo.Current.Caches);
    private static readonly GemmBlocking Blocking128 = GemmBlocking.For(6, 8, MachineInfo.Current.Caches);
    private static readonly GemmBlocking BlockingScalar = GemmBlocking.For(4, 4, MachineInfo.Current.Caches);

    /// <summary>
    /// Read B in place rather than packed when M spans at most this many MR-row micro-panels (see ReadBInPlace):
    /// conv-shaped products (M = 16..128 filters) and Linear batches, where packing B costs more than it saves
    /// (docs/performance.md, "The measurements behind the kernels' choices").
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
