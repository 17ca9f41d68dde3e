using NanoFed.Bench;
using Xunit;

namespace NanoFed.Tests.Bench;

/// <summary>Reading OpenBLAS's verbose report, and the core type chosen from the CPU's features.</summary>
public class OpenBlasCoreTests
{
    private static CpuFeatures Cpu(string vendor, string flags) => CpuFeatures.Parse($"vendor_id\t: {vendor}\nflags\t\t: {flags}\n");

    private const string Avx512 = "sse sse2 avx fma avx2 avx512f avx512dq avx512cd avx512bw avx512vl";

    [Fact]
    public void VerboseOutputNamesTheCore() =>
        Assert.Equal(("Haswell", null), OpenBlasCore.ParseVerbose("Core: Haswell\n"));

    [Fact]
    public void RefusedCoreTypeIsReportedBesideTheCoreThatRan() =>
        Assert.Equal(("Cooperlake", "Cooperlake"), OpenBlasCore.ParseVerbose("Core not found: Cooperlake\nCore: Cooperlake\n"));

    [Fact]
    public void NoVerboseLineIsNoCore() =>
        Assert.Equal((null, null), OpenBlasCore.ParseVerbose("Traceback (most recent call last):\n  File \"x.py\", line 1\n"));

    [Theory]
    [InlineData("GenuineIntel", Avx512, "SkylakeX")]
    [InlineData("AuthenticAMD", Avx512 + " avx512_bf16", "SkylakeX")]
    [InlineData("AuthenticAMD", "sse sse2 avx fma avx2", "Zen")]
    [InlineData("HygonGenuine", "sse sse2 avx fma avx2", "Zen")]
    [InlineData("GenuineIntel", "sse sse2 avx fma avx2", "Haswell")]
    [InlineData("GenuineIntel", "sse sse2 avx avx2", "Sandybridge")]
    [InlineData("GenuineIntel", "sse sse2 avx avx512f", "Sandybridge")]
    public void BestCoreTypeFollowsTheWidestCompleteFeatureSet(string vendor, string flags, string best) =>
        Assert.Equal(best, OpenBlasCore.BestFor(Cpu(vendor, flags)));

    [Fact]
    public void NothingBeatsTheSseKernelsWithoutAvx() => Assert.Null(OpenBlasCore.BestFor(Cpu("GenuineIntel", "sse sse2 sse3 ssse3")));

    [Theory]
    [InlineData("Prescott", "GenuineIntel", Avx512, "SkylakeX")]
    [InlineData("Haswell", "AuthenticAMD", Avx512, "SkylakeX")]
    [InlineData("Nehalem", "AuthenticAMD", "sse avx fma avx2", "Zen")]
    [InlineData("Haswell", "AuthenticAMD", "sse avx fma avx2", null)]
    [InlineData("Zen", "GenuineIntel", "sse avx fma avx2", null)]
    [InlineData("SkylakeX", "GenuineIntel", Avx512, null)]
    [InlineData("Cooperlake", "GenuineIntel", Avx512 + " avx512_bf16", null)]
    [InlineData("Prescott", "GenuineIntel", "sse sse2 sse3", null)]
    public void OnlyAPickNarrowerThanTheCpuIsUpgraded(string picked, string vendor, string flags, string? upgrade) =>
        Assert.Equal(upgrade, OpenBlasCore.Upgrade(picked, Cpu(vendor, flags)));

    [Fact]
    public void CpuInfoGivesTheFirstProcessorsVendorAndFlags()
    {
        var cpu = CpuFeatures.Parse("processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu avx2 fma\n\nprocessor\t: 1\nvendor_id\t: Other\nflags\t\t: sse\n");
        Assert.Equal("AuthenticAMD", cpu.Vendor);
        Assert.True(cpu.Has("avx2", "fma"));
        Assert.False(cpu.Has("sse"));
    }
}
