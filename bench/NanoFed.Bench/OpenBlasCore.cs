namespace NanoFed.Bench;

/// <summary>
/// OpenBLAS's x86-64 kernel families ("core types") as OpenBLAS 0.3.21 names them, what each needs, and what it
/// reports. With OPENBLAS_VERBOSE=2 a DYNAMIC_ARCH build prints "Core: &lt;name&gt;" on stderr when it loads; with
/// OPENBLAS_CORETYPE=&lt;name&gt; it runs that kernel instead of its own pick, and prints "Core not found: &lt;name&gt;"
/// first when it does not accept the name (then it picks by CPU features, as for a CPU it does not know).
/// </summary>
internal static class OpenBlasCore
{
    /// <summary>
    /// Rank of a core's widest vector unit: 0 SSE (Prescott, Nehalem, Barcelona and the other pre-AVX kernels, the
    /// generic fallbacks), 1 AVX, 2 AVX2 with FMA, 3 AVX-512. A pick ranked below the CPU's best is a fallback.
    /// </summary>
    private static readonly Dictionary<string, int> Ranks = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Unknown"] = 0, ["Katmai"] = 0, ["Coppermine"] = 0, ["Northwood"] = 0, ["Prescott"] = 0, ["Banias"] = 0,
        ["Atom"] = 0, ["Core2"] = 0, ["Penryn"] = 0, ["Dunnington"] = 0, ["Nehalem"] = 0, ["Athlon"] = 0,
        ["Opteron"] = 0, ["Opteron_SSE3"] = 0, ["Barcelona"] = 0, ["Nano"] = 0, ["Bobcat"] = 0,
        ["Sandybridge"] = 1, ["Bulldozer"] = 1, ["Piledriver"] = 1, ["Steamroller"] = 1,
        ["Excavator"] = 2, ["Haswell"] = 2, ["Zen"] = 2,
        ["SkylakeX"] = 3, ["Cooperlake"] = 3, ["SapphireRapids"] = 3,
    };

    /// <summary>The rank of <paramref name="core"/> (see <see cref="Ranks"/>); a name OpenBLAS 0.3.21 does not have ranks 0.</summary>
    public static int Rank(string core) => Ranks.GetValueOrDefault(core);

    /// <summary>
    /// The best core type the CPU can run and OpenBLAS 0.3.21 accepts in OPENBLAS_CORETYPE, or null when nothing
    /// beats the SSE kernels. AVX-512 (F, CD, BW, DQ, VL, which SkylakeX's kernels use): SkylakeX; Cooperlake adds
    /// only BF16 kernels, and 0.3.21's OPENBLAS_CORETYPE parser stops one entry short of its name, so it cannot be
    /// forced. AVX2 with FMA: Zen on AMD, Haswell elsewhere. AVX: Sandybridge.
    /// </summary>
    public static string? BestFor(CpuFeatures cpu)
    {
        if (cpu.Has("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl")) return "SkylakeX";
        if (cpu.Has("avx2", "fma")) return cpu.IsAmd ? "Zen" : "Haswell";
        if (cpu.Has("avx")) return "Sandybridge";
        return null;
    }

    /// <summary>The core type to force instead of <paramref name="picked"/>, or null when OpenBLAS's own pick is already as wide as the CPU allows.</summary>
    public static string? Upgrade(string picked, CpuFeatures cpu) =>
        BestFor(cpu) is { } best && Rank(best) > Rank(picked) ? best : null;

    /// <summary>
    /// The core OpenBLAS reported in <paramref name="stderr"/> ("Core: Haswell"), and the OPENBLAS_CORETYPE name it
    /// refused ("Core not found: Cooperlake"), each null when absent.
    /// </summary>
    public static (string? Core, string? Refused) ParseVerbose(string stderr)
    {
        string? core = null, refused = null;
        foreach (string raw in stderr.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith("Core not found:", StringComparison.Ordinal)) refused = line["Core not found:".Length..].Trim();
            else if (line.StartsWith("Core:", StringComparison.Ordinal)) core = line["Core:".Length..].Trim();
        }
        return (core, refused);
    }
}
