using Xunit;

namespace NanoFed.Tests;

/// <summary>Cache sizes from a sysfs-style folder (written here as the kernel lays it out), and their parsing rules.</summary>
public class CpuCachesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-cache-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Index(int i, string level, string type, string size, string shared)
    {
        string folder = Path.Combine(_dir, $"index{i}");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "level"), level + "\n");
        File.WriteAllText(Path.Combine(folder, "type"), type + "\n");
        File.WriteAllText(Path.Combine(folder, "size"), size + "\n");
        File.WriteAllText(Path.Combine(folder, "shared_cpu_list"), shared + "\n");
    }

    [Fact]
    public void SysfsFolderGivesEachLevelsDataCache()
    {
        // A Sapphire Rapids core: 48 KB L1d, 32 KB L1i, 2 MB L2, a 105 MB L3 shared by 112 logical CPUs.
        Index(0, "1", "Data", "48K", "0,56");
        Index(1, "1", "Instruction", "32K", "0,56");
        Index(2, "2", "Unified", "2048K", "0,56");
        Index(3, "3", "Unified", "107520K", "0-55,56-111");
        Assert.Equal(new CpuCaches(48 << 10, 2 << 20, 107520L << 10, 112, "sysfs"), CpuCaches.FromSysfs(_dir));
    }

    [Fact]
    public void MissingLevelsAreUnknown()
    {
        Index(0, "1", "Data", "32K", "0");
        Index(1, "2", "Unified", "1M", "0");
        Assert.Equal(new CpuCaches(32 << 10, 1 << 20, null, null, "sysfs"), CpuCaches.FromSysfs(_dir));
    }

    [Fact]
    public void NoFolderOrNoDataCacheIsNull()
    {
        Assert.Null(CpuCaches.FromSysfs(Path.Combine(_dir, "absent")));
        Index(0, "1", "Instruction", "32K", "0");
        Assert.Null(CpuCaches.FromSysfs(_dir));
    }

    [Fact]
    public void MalformedSizeNamesTheFile()
    {
        Index(0, "1", "Data", "48 kB", "0");
        var e = Assert.Throws<FormatException>(() => CpuCaches.FromSysfs(_dir));
        Assert.Contains(Path.Combine(_dir, "index0", "size"), e.Message);
    }

    [Theory]
    [InlineData("512", 512L)]
    [InlineData("48K", 48L << 10)]
    [InlineData("1024k", 1L << 20)]
    [InlineData("32M", 32L << 20)]
    [InlineData("1G", 1L << 30)]
    public void SizesTakeTheirUnit(string text, long bytes) => Assert.Equal(bytes, CpuCaches.ParseSize(text, "size"));

    [Theory]
    [InlineData("0", 1)]
    [InlineData("0-7", 8)]
    [InlineData("0-7,64-71", 16)]
    [InlineData("0,2,4", 3)]
    public void CpuListsAreCounted(string list, int count) => Assert.Equal(count, CpuCaches.CountCpus(list));

    [Fact]
    public void ThisMachineReportsItsCaches()
    {
        // Every x86 machine answers at least one of the sources; elsewhere sysfs is the only one.
        var caches = CpuCaches.Read();
        if (caches.Source == "none") Assert.Skip("neither sysfs nor CPUID describes this machine's caches");
        Assert.InRange(caches.L1d ?? caches.L2 ?? 0, 4 << 10, 1L << 30);
    }
}
