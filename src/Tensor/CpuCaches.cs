using System.Globalization;
using System.Runtime.Intrinsics.X86;

namespace NanoFed;

/// <summary>
/// The data cache sizes one core sees, in bytes: L1d and L2 (private to a core on every x86 CPU we run on) and the
/// L3 instance cpu0 belongs to, with the number of logical CPUs that share it where that is known. Each size is null
/// when no source reported it.
/// </summary>
/// <param name="L1d">Level-1 data cache.</param>
/// <param name="L2">Level-2 cache.</param>
/// <param name="L3">Level-3 cache (the whole instance, not a share).</param>
/// <param name="L3SharedBy">Logical CPUs sharing that L3 instance, or null when the source does not say.</param>
/// <param name="Source">Where the sizes came from: "sysfs", "cpuid 4", "cpuid 0x8000001D", "cpuid 0x80000005/6" or "none".</param>
public sealed record CpuCaches(long? L1d, long? L2, long? L3, int? L3SharedBy, string Source)
{
    /// <summary>The default sysfs folder of cpu0's caches.</summary>
    public const string SysfsFolder = "/sys/devices/system/cpu/cpu0/cache";

    /// <summary>
    /// cpu0's caches: from <see cref="SysfsFolder"/> where the kernel provides it (Linux), else from CPUID's
    /// deterministic cache leaves (4 on Intel, 0x8000001D on AMD), else from AMD's older 0x80000005/0x80000006
    /// (some hypervisors answer only these).
    /// </summary>
    public static CpuCaches Read() => FromSysfs(SysfsFolder) ?? FromCpuid() ?? new CpuCaches(null, null, null, null, "none");

    /// <summary>
    /// The caches described under <paramref name="folder"/>, laid out as /sys/devices/system/cpu/cpu0/cache: one
    /// index* folder per cache with files level, type (Data, Instruction, Unified), size ("48K") and
    /// shared_cpu_list ("0-7,64-71"). Null when the folder does not exist or describes no data cache.
    /// </summary>
    public static CpuCaches? FromSysfs(string folder)
    {
        if (!Directory.Exists(folder)) return null;
        long? l1 = null, l2 = null, l3 = null;
        int? shared = null;
        foreach (string index in Directory.EnumerateDirectories(folder, "index*"))
        {
            string? type = ReadLine(index, "type"), level = ReadLine(index, "level"), size = ReadLine(index, "size");
            if (type is null || level is null || size is null || type == "Instruction") continue;
            long bytes = ParseSize(size, Path.Combine(index, "size"));
            switch (level)
            {
                case "1": l1 = bytes; break;
                case "2": l2 = bytes; break;
                case "3":
                    l3 = bytes;
                    shared = ReadLine(index, "shared_cpu_list") is { } list ? CountCpus(list) : null;
                    break;
            }
        }
        return l1 is null && l2 is null && l3 is null ? null : new CpuCaches(l1, l2, l3, shared, "sysfs");
    }

    /// <summary>A sysfs size ("48K", "1024K", "32M", or plain bytes) in bytes; <paramref name="file"/> names the file in the error.</summary>
    public static long ParseSize(string text, string file)
    {
        string t = text.Trim();
        long unit = t.Length == 0 ? 1 : char.ToUpperInvariant(t[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1 };
        string digits = unit == 1 ? t : t[..^1];
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
            throw new FormatException($"{file}: '{text}' is not a cache size (digits with an optional K, M or G)");
        return value * unit;
    }

    /// <summary>How many CPUs a sysfs CPU list names ("0-7,64-71" is 16).</summary>
    public static int CountCpus(string list)
    {
        int count = 0;
        foreach (string part in list.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int dash = part.IndexOf('-');
            count += dash < 0 ? 1 : int.Parse(part[(dash + 1)..], CultureInfo.InvariantCulture) - int.Parse(part[..dash], CultureInfo.InvariantCulture) + 1;
        }
        return count;
    }

    private static string? ReadLine(string folder, string name)
    {
        string path = Path.Combine(folder, name);
        try { return File.Exists(path) ? File.ReadAllText(path).Trim() : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>The caches from CPUID, or null on a CPU without CPUID (not x86) or when no leaf describes them.</summary>
    public static CpuCaches? FromCpuid()
    {
        if (!X86Base.IsSupported) return null;
        uint maxBasic = (uint)X86Base.CpuId(0, 0).Eax, maxExtended = (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax;
        if (maxBasic >= 4 && FromDeterministicLeaf(4, "cpuid 4") is { } intel) return intel;
        if (maxExtended >= 0x8000001D && FromDeterministicLeaf(unchecked((int)0x8000001D), "cpuid 0x8000001D") is { } amd) return amd;
        if (maxExtended < 0x80000006) return null;
        // 0x80000005 ECX[31:24]: L1d in KB; 0x80000006 ECX[31:16]: L2 in KB, EDX[31:18]: L3 in 512 KB units.
        long l1 = (long)((uint)X86Base.CpuId(unchecked((int)0x80000005), 0).Ecx >> 24) << 10;
        var l23 = X86Base.CpuId(unchecked((int)0x80000006), 0);
        long l2 = (long)((uint)l23.Ecx >> 16) << 10, l3 = (long)((uint)l23.Edx >> 18) * (512L << 10);
        return l1 == 0 && l2 == 0 ? null : new CpuCaches(l1 == 0 ? null : l1, l2 == 0 ? null : l2, l3 == 0 ? null : l3, null, "cpuid 0x80000005/6");
    }

    /// <summary>
    /// Walks the sub-leaves of a deterministic cache leaf (Intel's 4, AMD's 0x8000001D share the layout): EAX[4:0]
    /// type (0 ends the list, 2 instruction), EAX[7:5] level, EAX[25:14] sharing CPUs − 1; size = ways × partitions
    /// × line size × sets from EBX and ECX.
    /// </summary>
    private static CpuCaches? FromDeterministicLeaf(int leaf, string source)
    {
        long? l1 = null, l2 = null, l3 = null;
        int? shared = null;
        for (int sub = 0; sub < 16; sub++)
        {
            var (eax, ebx, ecx, _) = X86Base.CpuId(leaf, sub);
            int type = eax & 0x1F, level = (eax >> 5) & 0x7;
            if (type == 0) break;
            if (type == 2) continue;
            long ways = ((uint)ebx >> 22) + 1, partitions = ((ebx >> 12) & 0x3FF) + 1, line = (ebx & 0xFFF) + 1, sets = (uint)ecx + 1L;
            long bytes = ways * partitions * line * sets;
            if (level == 1) l1 = bytes;
            else if (level == 2) l2 = bytes;
            else if (level == 3) (l3, shared) = (bytes, ((eax >> 14) & 0xFFF) + 1);
        }
        return l1 is null && l2 is null && l3 is null ? null : new CpuCaches(l1, l2, l3, shared, source);
    }
}
