using Xunit;

namespace NanoFed.Tests;

/// <summary>The machine's cache key: one machine, one key; another model or another cache size, another key.</summary>
public class MachineInfoTests
{
    private static readonly MachineInfo Epyc =
        new("AMD EPYC", "AuthenticAMD", 26, 2, "Vector512", new CpuCaches(48 << 10, 1 << 20, 32 << 20, 16, "sysfs"));

    [Fact]
    public void SameMachineSameKey() => Assert.Equal(Epyc.CacheKey, (Epyc with { }).CacheKey);

    [Fact]
    public void AnotherModelAnotherKey()
    {
        Assert.NotEqual(Epyc.CacheKey, (Epyc with { Model = 17 }).CacheKey);
        Assert.NotEqual(Epyc.CacheKey, (Epyc with { Family = 25 }).CacheKey);
        Assert.NotEqual(Epyc.CacheKey, (Epyc with { CpuModel = "AMD EPYC 9B45" }).CacheKey);
        Assert.NotEqual(Epyc.CacheKey, (Epyc with { Vendor = "GenuineIntel" }).CacheKey);
    }

    [Fact]
    public void AnotherCacheSizeAnotherKey()
    {
        Assert.NotEqual(Epyc.CacheKey, (Epyc with { Caches = Epyc.Caches with { L1d = 32 << 10 } }).CacheKey);
        Assert.NotEqual(Epyc.CacheKey, (Epyc with { Caches = Epyc.Caches with { L2 = 2 << 20 } }).CacheKey);
        Assert.NotEqual(Epyc.CacheKey, (Epyc with { Caches = Epyc.Caches with { L3 = null } }).CacheKey);
    }

    [Fact]
    public void AnotherVectorWidthAnotherKey() => Assert.NotEqual(Epyc.CacheKey, (Epyc with { Isa = "Vector256" }).CacheKey);

    [Fact]
    public void WhereTheSizesCameFromIsNotPartOfTheKey() =>
        Assert.Equal(Epyc.CacheKey, (Epyc with { Caches = Epyc.Caches with { Source = "cpuid 0x8000001D", L3SharedBy = null } }).CacheKey);

    [Fact]
    public void KeyReadsAsTheMachine() =>
        Assert.Equal("AuthenticAMD/26/2/AMD EPYC/Vector512/L1d=49152/L2=1048576/L3=33554432", Epyc.CacheKey);

    [Fact]
    public void CurrentMachineIsReadOnceWithTheEnginesWidth()
    {
        Assert.Same(MachineInfo.Current, MachineInfo.Current);
        Assert.Equal(Isa.Active, MachineInfo.Current.Isa);
        Assert.False(string.IsNullOrWhiteSpace(MachineInfo.Current.CpuModel));
    }
}
