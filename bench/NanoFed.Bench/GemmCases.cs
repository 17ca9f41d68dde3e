using NanoFed.Kernels;

namespace NanoFed.Bench;

/// <summary>SGEMM cases: square n×n×n, row-major, no transposes, alpha 1, beta 0 (as torch's a @ b).</summary>
internal static class GemmCases
{
    /// <summary>The square sizes the peer also times, those whose case name <paramref name="wanted"/> accepts.</summary>
    public static IEnumerable<BenchCase> Square(Func<string, bool> wanted, params int[] sizes)
    {
        foreach (int n in sizes)
        {
            if (!wanted($"sgemm n={n}")) continue;
            var rng = new Random(n);
            float[] a = Random(rng, n * n), b = Random(rng, n * n), c = new float[n * n];
            yield return new BenchCase($"sgemm n={n}", 2.0 * n * n * n, ValidateAll,
                () => Gemm.Sgemm(Transpose.No, Transpose.No, n, n, n, 1f, a, n, b, n, 0f, c, n), Gemm.Plan(Transpose.No, n, n, n));
        }
    }

    /// <summary>
    /// Checks Sgemm against SgemmReference on small odd shapes, every transpose combination, with beta 0 and 1
    /// (large enough to take the threaded, packed path). Returns the first failure, or null.
    /// </summary>
    public static string? ValidateAll()
    {
        foreach (var (m, n, k) in new[] { (67, 131, 300), (13, 257, 70) })
        {
            foreach (var ta in new[] { Transpose.No, Transpose.Yes })
            {
                foreach (var tb in new[] { Transpose.No, Transpose.Yes })
                {
                    var rng = new Random(m * 7 + n);
                    float[] a = Random(rng, m * k), b = Random(rng, k * n), c0 = Random(rng, m * n);
                    float[] fast = (float[])c0.Clone(), slow = (float[])c0.Clone();
                    int lda = ta == Transpose.No ? k : m, ldb = tb == Transpose.No ? n : k;
                    Gemm.Sgemm(ta, tb, m, n, k, 1.5f, a, lda, b, ldb, 1f, fast, n);
                    Gemm.SgemmReference(ta, tb, m, n, k, 1.5f, a, lda, b, ldb, 1f, slow, n);
                    for (int i = 0; i < fast.Length; i++)
                    {
                        if (Math.Abs(fast[i] - slow[i]) > 1e-4f * (1 + Math.Abs(slow[i])))
                            return $"Sgemm {ta}{tb} M={m} N={n} K={k}: element {i} is {fast[i]}, reference {slow[i]}";
                    }
                }
            }
        }
        return null;
    }

    private static float[] Random(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}
