namespace NanoFed.Bench;

/// <summary>
/// The CPU's vendor and instruction-set flags as the kernel reports them in /proc/cpuinfo ("vendor_id", "flags").
/// The kernel lists a flag only when it can use it (AVX-512 state saved by XSAVE, for example), which is the test
/// OpenBLAS itself makes before it runs a kernel. The engine's own view (<see cref="Isa"/>) can be narrower, when a
/// DOTNET_Enable* switch turns a width off, and so is no guide to what the peer can run.
/// </summary>
/// <param name="Vendor">"GenuineIntel", "AuthenticAMD", ... or "unknown".</param>
/// <param name="Flags">The flags of the first processor (avx2, fma, avx512f, ...).</param>
internal sealed record CpuFeatures(string Vendor, IReadOnlySet<string> Flags)
{
    /// <summary>Whether the vendor is AMD (or Hygon, whose cores are AMD's), which OpenBLAS serves with its Zen kernels on AVX2.</summary>
    public bool IsAmd => Vendor is "AuthenticAMD" or "HygonGenuine";

    /// <summary>Whether every flag in <paramref name="names"/> is present.</summary>
    public bool Has(params ReadOnlySpan<string> names)
    {
        foreach (string name in names)
            if (!Flags.Contains(name)) return false;
        return true;
    }

    /// <summary>This machine's features, from /proc/cpuinfo; none where there is no procfs.</summary>
    public static CpuFeatures Current()
    {
        try { return Parse(File.ReadAllText("/proc/cpuinfo")); }
        catch (IOException) { return new CpuFeatures("unknown", new HashSet<string>()); }
        catch (UnauthorizedAccessException) { return new CpuFeatures("unknown", new HashSet<string>()); }
    }

    /// <summary>The vendor and flags of the first processor described in <paramref name="cpuinfo"/> (the text of /proc/cpuinfo).</summary>
    public static CpuFeatures Parse(string cpuinfo)
    {
        string vendor = "unknown";
        var flags = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in cpuinfo.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
            if (key == "vendor_id" && vendor == "unknown") vendor = value;
            else if (key == "flags" && flags.Count == 0) flags.UnionWith(value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
        return new CpuFeatures(vendor, flags);
    }
}
