using BenchmarkDotNet.Attributes;
using NanoFed.Kernels;

namespace NanoFed.Micro;

/// <summary>SGEMM, square n×n×n, row-major, alpha 1, beta 0: as `nanofed bench`'s "sgemm n=…" cases.</summary>
public class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];

    /// <summary>Matrix size.</summary>
    [Params(256, 512, 1024)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        foreach (var (ta, tb) in new[] { (Transpose.No, Transpose.No), (Transpose.No, Transpose.Yes), (Transpose.Yes, Transpose.No) })
        {
            const int m = 67, n = 131, k = 300;
            float[] a = Data.Uniform(m * k, 1), b = Data.Uniform(k * n, 2), fast = new float[m * n], slow = new float[m * n];
            int lda = ta == Transpose.No ? k : m, ldb = tb == Transpose.No ? n : k;
            Gemm.Sgemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, fast, n);
            Gemm.SgemmReference(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, slow, n);
            Data.Check($"Sgemm {ta}{tb}", fast, slow);
        }
        _a = Data.Uniform(N * N, 3);
        _b = Data.Uniform(N * N, 4);
        _c = new float[N * N];
    }

    [Benchmark]
    public void Sgemm() => Gemm.Sgemm(Transpose.No, Transpose.No, N, N, N, 1f, _a, N, _b, N, 0f, _c, N);
}
