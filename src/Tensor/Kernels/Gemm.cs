using System.Runtime.Intrinsics;

namespace NanoFed.Kernels;

/// <summary>Whether a GEMM operand is used as stored or transposed.</summary>
public enum Transpose
{
    /// <summary>Use the matrix as stored.</summary>
    No,

    /// <summary>Use the transpose of the stored matrix.</summary>
    Yes,
}

/// <summary>
/// Single-precision general matrix multiply on row-major storage:
/// C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C, where op(X) is X or Xᵀ.
/// A is stored M×K (lda ≥ K) when not transposed and K×M (lda ≥ M) when transposed; B is K×N (ldb ≥ N)
/// or N×K (ldb ≥ K); C is M×N (ldc ≥ N). When beta is 0, C is only written, never read (it may hold NaN).
/// </summary>
public static partial class Gemm
{
    /// <summary>Computes C = alpha · op(A) · op(B) + beta · C (see the class remarks for layouts).</summary>
    /// <remarks>
    /// BLIS-style: op(B) is packed into cache-sized blocks (a transpose is absorbed by the packing), op(A) is read in
    /// place in either orientation (the micro-kernel takes its row and depth strides), and a register-blocked FMA
    /// micro-kernel for the widest accelerated vector runs over the output on <see cref="Threading.Workers"/>: a
    /// column slice of C per thread when C is wide, else a fixed grid of tiles. Each C element is summed in one fused
    /// multiply-add chain per depth block (equal blocks of at most KC) in increasing k, then added to C, in the same
    /// order on every path: the result is bit-identical for any thread count and on AVX-512, AVX2, Vector128 and
    /// scalar. It differs from <see cref="SgemmReference"/> by rounding only. Packing buffers belong to the thread that
    /// packs and are reused across calls. The blocking, the thread layout and whether B is read in place come from the
    /// plan cache when it holds a measured plan for the shape's class (<see cref="PlanCache"/>), else from the cache
    /// model; they change the speed, never the bits.
    /// </remarks>
    public static void Sgemm(Transpose transA, Transpose transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc) =>
        SgemmCore(null, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>
    /// <see cref="Sgemm"/> run with <paramref name="choice"/> in place of the plan cache's or the model's: for the tuner,
    /// which times the candidates, and the tests, which check that every candidate gives the same bits.
    /// </summary>
    internal static void SgemmWith(GemmChoice choice, Transpose transA, Transpose transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (!IsValid(choice, Active.Blocking)) throw new ArgumentException($"GEMM: {choice} does not fit the {Active.Kernel} kernel");
        SgemmCore(choice, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>Validates, handles the empty cases, and runs the blocked product with <paramref name="choice"/> (null: the plan cache's or the model's).</summary>
    private static unsafe void SgemmCore(GemmChoice? choice, Transpose transA, Transpose transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        if (choice is null) Recorder?.AddOrUpdate(new GemmCall(transA, transB, m, n, k, Threading.Workers.Available), 1, static (_, calls) => calls + 1);
        fixed (float* pa = a, pb = b, pc = c)
        {
            Dispatch(new Operands
            {
                TransA = transA, TransB = transB, M = m, N = n, K = k, Alpha = alpha, Beta = beta,
                A = pa, Lda = lda, B = pb, Ldb = ldb, C = pc, Ldc = ldc,
            }, choice);
        }
    }

    /// <summary>Dispatches once, widest first: only the micro-kernel and its blocking differ.</summary>
    private static void Dispatch(in Operands op, GemmChoice? choice)
    {
        if (Vector512.IsHardwareAccelerated) Blocked<MicroKernel512_12x32>(op, Blocking512, choice);
        else if (Vector256.IsHardwareAccelerated) Blocked<MicroKernel256_6x16>(op, Blocking256, choice);
        else if (Vector128.IsHardwareAccelerated) Blocked<MicroKernel128_6x8>(op, Blocking128, choice);
        else Blocked<MicroKernelScalar_4x4>(op, BlockingScalar, choice);
    }

    /// <summary>C = beta·C for K = 0 (an empty sum); C is only written when beta is 0.</summary>
    private static void ScaleC(int m, int n, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0) row.Clear();
            else for (int j = 0; j < n; j++) row[j] *= beta;
        }
    }

    /// <summary>
    /// The naive triple loop, obviously right: the reference the fast kernels are tested against.
    /// Each C element is one dot product over k in increasing order, accumulated in float.
    /// </summary>
    public static void SgemmReference(Transpose transA, Transpose transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA == Transpose.No ? a[i * lda + p] : a[p * lda + i];
                    float bv = transB == Transpose.No ? b[p * ldb + j] : b[j * ldb + p];
                    sum += av * bv;
                }
                ref float cij = ref c[i * ldc + j];
                cij = beta == 0 ? alpha * sum : alpha * sum + beta * cij;
            }
        }
    }

    private static void Validate(Transpose transA, Transpose transB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"GEMM dimensions must be non-negative, got M={m} N={n} K={k}");
        int aRows = transA == Transpose.No ? m : k, aCols = transA == Transpose.No ? k : m;
        int bRows = transB == Transpose.No ? k : n, bCols = transB == Transpose.No ? n : k;
        Check("A", aRows, aCols, aLength, lda);
        Check("B", bRows, bCols, bLength, ldb);
        Check("C", m, n, cLength, ldc);
    }

    private static void Check(string name, int rows, int cols, int length, int ld)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"GEMM: leading dimension of {name} ({ld}) is smaller than its {cols} columns");
        if (rows > 0 && cols > 0 && (long)(rows - 1) * ld + cols > length)
            throw new ArgumentException($"GEMM: {name} needs {(long)(rows - 1) * ld + cols} elements for {rows}x{cols} with leading dimension {ld}, got {length}");
    }
}
