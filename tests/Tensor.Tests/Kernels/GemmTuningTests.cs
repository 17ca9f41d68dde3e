using FsCheck;
using FsCheck.Fluent;
using NanoFed.Kernels;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// GEMM plans change speed, never bits: every candidate the tuner times, and any valid blocking and layout, gives the
/// model plan's result bit for bit on 1 and 2 threads; a tuned plan is used and gives the untuned bits.
/// </summary>
[Collection(nameof(WorkerCountCollection))]
public class GemmTuningTests
{
    public static readonly TheoryData<int, int, int> Shapes = new()
    {
        { 64, 64, 64 }, { 67, 300, 130 }, { 16, 1024, 144 }, { 200, 520, 1100 }, { 600, 96, 70 }, { 13, 2100, 33 },
    };

    [Theory]
    [Trait("Category", "Kernel")]
    [MemberData(nameof(Shapes))]
    public void EveryCandidateGivesTheModelPlansBits(int m, int n, int k)
    {
        foreach (int threads in new[] { 1, 2 })
        {
            WithThreads(threads, () =>
            {
                foreach (var ta in new[] { Transpose.No, Transpose.Yes })
                {
                    foreach (var tb in new[] { Transpose.No, Transpose.Yes })
                    {
                        var candidates = Gemm.Candidates(ta, tb, m, n, k);
                        // An untransposed B can always be read in place or packed, so there is something to time.
                        Assert.True(tb == Transpose.Yes || candidates.Count >= 2, $"{ta}{tb} {m}x{n}x{k}: only the model plan to time");
                        float[] expected = Run(null, ta, tb, m, n, k);
                        foreach (var c in candidates) Assert.Equal(expected, Run(c, ta, tb, m, n, k));
                    }
                }
            });
        }
    }

    [Fact]
    [Trait("Category", "Kernel")]
    public void AnyValidBlockingAndLayoutGivesTheSameBits()
    {
        var (_, blk) = Gemm.Active;
        var gen =
            from mc in Gen.Choose(1, 80)
            from nc in Gen.Choose(1, 80)
            from slices in Gen.Elements(true, false)
            from inPlace in Gen.Elements(true, false)
            from tb in Gen.Elements(Transpose.No, Transpose.Yes)
            from threads in Gen.Choose(1, 2)
            select (new GemmChoice(mc * blk.MR, nc * blk.NR, slices, inPlace), tb, threads);
        Prop.ForAll(Arb.From(gen), s =>
            {
                var (choice, tb, threads) = s;
                bool same = false;
                WithThreads(threads, () => same = Run(choice, Transpose.No, tb, 97, 333, 700).AsSpan().SequenceEqual(Run(null, Transpose.No, tb, 97, 333, 700)));
                return same;
            }).Check(Config.QuickThrowOnFailure.WithMaxTest(40));
    }

    [Fact]
    [Trait("Category", "Kernel")]
    public void ATunedPlanIsUsedAndGivesTheUntunedBits()
    {
        var saved = PlanCache.Active;
        try
        {
            WithThreads(2, () =>
            {
                var cache = PlanCache.Empty(null, MachineInfo.Current.CacheKey);
                var tuning = Gemm.Tune(Transpose.No, Transpose.No, 300, 512, 600, cache, rounds: 3);
                Assert.Equal(1, cache.Count);
                Assert.True(tuning.Candidates >= 3, tuning.ToString());
                Assert.True(tuning.ModelSeconds > 0 && tuning.WinnerSeconds > 0, tuning.ToString());

                PlanCache.Active = PlanCache.Empty(null, MachineInfo.Current.CacheKey);
                float[] untuned = Run(null, Transpose.No, Transpose.No, 300, 512, 600);
                Assert.EndsWith(", model", Gemm.Plan(Transpose.No, 300, 512, 600));
                PlanCache.Active = cache;
                Assert.EndsWith(", tuned", Gemm.Plan(Transpose.No, 300, 512, 600));
                Assert.Contains(tuning.Winner, Gemm.Plan(Transpose.No, 300, 512, 600));
                // Same class (each dimension rounds up to the same power of two), another shape: the plan applies too.
                Assert.EndsWith(", tuned", Gemm.Plan(Transpose.No, 260, 500, 520));
                Assert.Equal(untuned, Run(null, Transpose.No, Transpose.No, 300, 512, 600));
            });
        }
        finally
        {
            PlanCache.Active = saved;
        }
    }

    [Fact]
    public void AChoiceThatDoesNotFitTheKernelIsRefused()
    {
        var (_, blk) = Gemm.Active;
        float[] a = new float[4], b = new float[4], c = new float[4];
        var bad = new GemmChoice(blk.MR + 1, blk.NR, true, false);
        var e = Assert.Throws<ArgumentException>(() => Gemm.SgemmWith(bad, Transpose.No, Transpose.No, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2));
        Assert.Contains("does not fit", e.Message);
    }

    /// <summary>C = A·B (alpha 1, beta 0.5 over a seeded C) with <paramref name="choice"/>, or the model plan when null.</summary>
    private static float[] Run(GemmChoice? choice, Transpose ta, Transpose tb, int m, int n, int k)
    {
        var rng = new RngStream((ulong)(m * 1000 + n), (ulong)k);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        rng.FillUniform(a, -1, 1);
        rng.FillUniform(b, -1, 1);
        rng.FillUniform(c, -1, 1);
        int lda = ta == Transpose.No ? k : m, ldb = tb == Transpose.No ? n : k;
        if (choice is { } ch) Gemm.SgemmWith(ch, ta, tb, m, n, k, 1, a, lda, b, ldb, 0.5f, c, n);
        else
        {
            var saved = PlanCache.Active;
            PlanCache.Active = PlanCache.Empty(null, MachineInfo.Current.CacheKey);
            try { Gemm.Sgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, 0.5f, c, n); }
            finally { PlanCache.Active = saved; }
        }
        return c;
    }

    private static void WithThreads(int threads, Action body)
    {
        int saved = Workers.Count;
        try
        {
            Workers.Count = threads;
            body();
        }
        finally
        {
            Workers.Count = saved;
        }
    }
}
