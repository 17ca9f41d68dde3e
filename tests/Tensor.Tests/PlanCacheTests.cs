using System.Text;
using FsCheck;
using FsCheck.Fluent;
using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// The per-machine plan cache: plans saved for this machine come back; a file made on another CPU, with other caches
/// or another vector width is not used here; a corrupted file is ignored whole, never a crash; the file keeps every
/// machine's section.
/// </summary>
[Collection(nameof(WorkerCountCollection))]
public class PlanCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-plans-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name) => Path.Combine(_dir, name);

    private static readonly MachineInfo Here = MachineInfo.Current;

    private static GemmShape Shape => new(Transpose.No, Transpose.No, 9, 9, 9, 2);

    private static GemmChoice Choice
    {
        get
        {
            var (_, blk) = Gemm.Active;
            return new GemmChoice(2 * blk.MR, 4 * blk.NR, false, true);
        }
    }

    /// <summary>Other machines: another CPU model, another model number, other caches, another vector width.</summary>
    public static readonly TheoryData<string> Elsewhere = new()
    {
        (Here with { CpuModel = "Intel(R) Xeon(R) Platinum 8581C CPU @ 2.10GHz" }).CacheKey,
        (Here with { Model = Here.Model + 1 }).CacheKey,
        (Here with { Vendor = Here.Vendor == "GenuineIntel" ? "AuthenticAMD" : "GenuineIntel" }).CacheKey,
        (Here with { Caches = Here.Caches with { L2 = (Here.Caches.L2 ?? 0) + (1 << 20) } }).CacheKey,
        (Here with { Caches = Here.Caches with { L1d = (Here.Caches.L1d ?? 0) + (16 << 10) } }).CacheKey,
        (Here with { Caches = Here.Caches with { L3 = (Here.Caches.L3 ?? 0) * 2 + 1 } }).CacheKey,
        (Here with { Isa = Here.Isa == "Vector512" ? "Vector256" : "Vector512" }).CacheKey,
    };

    [Fact]
    public void PlansSavedHereComeBackHere()
    {
        string path = File("plans.tsv");
        var cache = PlanCache.Empty(path, Here.CacheKey);
        cache.Set(Shape, Choice, 2e-3, 1.5e-3);
        cache.Save();
        var loaded = PlanCache.Load(path, Here.CacheKey);
        Assert.Equal(1, loaded.Count);
        Assert.True(loaded.TryGet(Shape, out var choice));
        Assert.Equal(Choice, choice);
        Assert.StartsWith("1 GEMM plan for this machine", loaded.Status);
    }

    [Theory]
    [MemberData(nameof(Elsewhere))]
    public void APlanCachedOnAnotherMachineIsNotUsedHere(string otherKey)
    {
        Assert.NotEqual(Here.CacheKey, otherKey);
        string path = File("plans.tsv");
        var there = PlanCache.Empty(path, otherKey);
        there.Set(GemmShape.Of(Transpose.No, Transpose.No, 512, 512, 512), Choice, 2e-3, 1e-3);
        there.Save();

        var here = PlanCache.Load(path, Here.CacheKey);
        Assert.Equal(0, here.Count);
        Assert.Contains("only other machines'", here.Status);
        Assert.True(PlanCache.Load(path, otherKey).TryGet(GemmShape.Of(Transpose.No, Transpose.No, 512, 512, 512), out _));

        // Through the GEMM itself: with that file loaded here, the product runs the model's plan.
        var saved = PlanCache.Active;
        try
        {
            PlanCache.Active = here;
            Assert.EndsWith(", model", Gemm.Plan(Transpose.No, 512, 512, 512));
            PlanCache.Active = PlanCache.Load(path, otherKey);
            Assert.EndsWith(", tuned", Gemm.Plan(Transpose.No, 512, 512, 512));
        }
        finally
        {
            PlanCache.Active = saved;
        }
    }

    [Fact]
    public void SavingKeepsOtherMachinesSections()
    {
        string path = File("plans.tsv"), other = (Here with { CpuModel = "Intel(R) Xeon(R) Platinum 8581C CPU @ 2.10GHz" }).CacheKey;
        var there = PlanCache.Empty(path, other);
        there.Set(Shape, Choice with { Slices = true }, 1, 1);
        there.Save();
        var here = PlanCache.Load(path, Here.CacheKey);
        here.Set(Shape, Choice, 1, 0.5);
        here.Save();

        Assert.True(PlanCache.Load(path, other).TryGet(Shape, out var theirs));
        Assert.True(theirs.Slices);
        Assert.True(PlanCache.Load(path, Here.CacheKey).TryGet(Shape, out var ours));
        Assert.False(ours.Slices);
    }

    public static readonly TheoryData<string> Corruptions = new()
    {
        "",
        "\0\0\0garbage\u00ff",
        "nanofed-plans\t2\n",
        "gemm\t2\t0\t0\t9\t9\t9\t12\t64\tgrid\tpacked\t1\t1\n",
        "{MACHINE}gemm\t2\t0\t0\t9\t9\t9\t12\t64\tgrid\tpacked\t1\n",
        "{MACHINE}gemm\t2\t0\t0\t9\t9\t9\ttwelve\t64\tgrid\tpacked\t1\t1\n",
        "{MACHINE}gemm\t2\t0\t0\t9\t9\t9\t-12\t64\tgrid\tpacked\t1\t1\n",
        "{MACHINE}gemm\t2\t0\t0\t9\t9\t9\t12\t64\tsideways\tpacked\t1\t1\n",
        "{MACHINE}gemm\t2\t5\t0\t9\t9\t9\t12\t64\tgrid\tpacked\t1\t1\n",
        "{MACHINE}gemm\t0\t0\t0\t9\t9\t9\t12\t64\tgrid\tpacked\t1\t1\n",
        "{MACHINE}gemm\t2\t0\t0\t9\t9\t9\t{BADMC}\t64\tgrid\tpacked\t1\t1\n",
        "{MACHINE}gemm\t2\t0\t0\t9\t9\t9\t12\t64\tgrid\tpacked\t1\t1\ntruncated\tli",
        "{MACHINE}gemm\t2\t0\t0\t9\t9\t9\t99999999999\t64\tgrid\tpacked\t1\t1\n",
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void ACorruptedFileIsIgnoredWithoutACrash(string body)
    {
        var (_, blk) = Gemm.Active;
        string text = body.Replace("{MACHINE}", $"nanofed-plans\t1\nmachine\t{Here.CacheKey}\n", StringComparison.Ordinal)
            .Replace("{BADMC}", (blk.MR + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        string path = File("plans.tsv");
        System.IO.File.WriteAllText(path, text);
        var loaded = PlanCache.Load(path, Here.CacheKey);
        Assert.Equal(0, loaded.Count);
        Assert.StartsWith("ignored: ", loaded.Status);

        // Tuning after a corrupted file replaces it with a good one.
        loaded.Set(Shape, Choice, 1, 1);
        loaded.Save();
        Assert.Equal(1, PlanCache.Load(path, Here.CacheKey).Count);
    }

    [Fact]
    public void AnyDamageToAFileLoadsOnlyValidPlansAndNeverThrows()
    {
        string path = File("plans.tsv");
        var cache = PlanCache.Empty(path, Here.CacheKey);
        cache.Set(Shape, Choice, 2e-3, 1e-3);
        cache.Set(Shape with { KLog = 11 }, Choice with { BInPlace = false }, 2e-3, 1e-3);
        cache.Save();
        byte[] good = System.IO.File.ReadAllBytes(path);
        var (_, blk) = Gemm.Active;
        var gen =
            from cut in Gen.Choose(0, good.Length)
            from at in Gen.Choose(0, good.Length - 1)
            from value in Gen.Choose(0, 255)
            select (cut, at, value);
        Prop.ForAll(Arb.From(gen), d =>
            {
                byte[] bytes = good[..Math.Max(d.cut, 1)];
                if (d.at < bytes.Length) bytes[d.at] = (byte)d.value;
                System.IO.File.WriteAllBytes(path, bytes);
                var loaded = PlanCache.Load(path, Here.CacheKey);
                foreach (var shape in new[] { Shape, Shape with { KLog = 11 } })
                    if (loaded.TryGet(shape, out var c) && !Gemm.IsValid(c, blk)) return false;
                return loaded.Count == 0 || !loaded.Status.StartsWith("ignored", StringComparison.Ordinal);
            }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void TheVariableNamesTheFileOrTurnsTheCacheOff()
    {
        string? saved = Environment.GetEnvironmentVariable(PlanCache.Variable);
        try
        {
            Environment.SetEnvironmentVariable(PlanCache.Variable, "off");
            Assert.Null(PlanCache.DefaultPath);
            Environment.SetEnvironmentVariable(PlanCache.Variable, File("mine.tsv"));
            Assert.Equal(File("mine.tsv"), PlanCache.DefaultPath);
            Environment.SetEnvironmentVariable(PlanCache.Variable, null);
            Assert.EndsWith(Path.Combine("nanofed", "plans.tsv"), PlanCache.DefaultPath);
        }
        finally
        {
            Environment.SetEnvironmentVariable(PlanCache.Variable, saved);
        }
        var off = PlanCache.Empty(null, Here.CacheKey);
        var e = Assert.Throws<InvalidOperationException>(off.Save);
        Assert.Contains(PlanCache.Variable, e.Message);
    }
}
