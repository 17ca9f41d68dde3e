using System.Globalization;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace NanoFed;

/// <summary>
/// What machine the engine runs on, read once at start-up: the CPU's model name, vendor, family and model, the
/// vector width the kernels use (<see cref="NanoFed.Isa.Active"/>) and the caches (<see cref="CpuCaches"/>).
/// <see cref="CacheKey"/> names the machine for anything measured or tuned on it: a plan cached under one key is
/// not to be used under another.
/// </summary>
/// <param name="CpuModel">The model name as lscpu shows it ("AMD EPYC", "Intel(R) Xeon(R) Platinum 8581C CPU @ 2.10GHz").</param>
/// <param name="Vendor">The CPUID vendor string ("AuthenticAMD", "GenuineIntel"), or "unknown".</param>
/// <param name="Family">The display family (base family plus extended family), as lscpu's "CPU family"; 0 where neither CPUID nor /proc/cpuinfo gives one.</param>
/// <param name="Model">The display model (extended model in the high nibble), as lscpu's "Model".</param>
/// <param name="Isa">The widest vector width the engine's kernels use: "Vector512", "Vector256", "Vector128" or "Scalar".</param>
/// <param name="Caches">The data caches one core sees.</param>
public sealed record MachineInfo(string CpuModel, string Vendor, int Family, int Model, string Isa, CpuCaches Caches)
{
    private static readonly Lazy<MachineInfo> Machine = new(Read);

    /// <summary>This machine, read on first use.</summary>
    public static MachineInfo Current => Machine.Value;

    /// <summary>
    /// A key that differs between machines that could want different plans: vendor, family, model, model name,
    /// vector width and each cache size ("AuthenticAMD/26/2/AMD EPYC/Vector512/L1d=49152/L2=1048576/L3=532676608").
    /// A size no source reported is "?".
    /// </summary>
    public string CacheKey => string.Join('/', Vendor, Family.ToString(CultureInfo.InvariantCulture), Model.ToString(CultureInfo.InvariantCulture),
        CpuModel, Isa, $"L1d={Size(Caches.L1d)}", $"L2={Size(Caches.L2)}", $"L3={Size(Caches.L3)}");

    private static string Size(long? bytes) => bytes?.ToString(CultureInfo.InvariantCulture) ?? "?";

    /// <summary>"AMD EPYC (AuthenticAMD family 26 model 2), Vector512, L1d 48 KB, L2 1024 KB, L3 520192 KB (cpuid 0x80000005/6)".</summary>
    public override string ToString()
    {
        static string Kb(string name, long? bytes) => bytes is { } b ? $"{name} {b >> 10} KB" : $"{name} unknown";
        string shared = Caches.L3SharedBy is { } n ? $" shared by {n} CPUs" : "";
        return $"{CpuModel} ({Vendor} family {Family} model {Model}), {Isa}, {Kb("L1d", Caches.L1d)}, {Kb("L2", Caches.L2)}, "
            + $"{Kb("L3", Caches.L3)}{shared} ({Caches.Source})";
    }

    private static MachineInfo Read()
    {
        var (vendor, family, model) = Identify();
        return new MachineInfo(ModelName(), vendor, family, model, NanoFed.Isa.Active, CpuCaches.Read());
    }

    /// <summary>Vendor, display family and display model from CPUID leaves 0 and 1; on a CPU without CPUID, from /proc/cpuinfo.</summary>
    private static (string Vendor, int Family, int Model) Identify()
    {
        if (!X86Base.IsSupported)
        {
            var fields = CpuInfoFields();
            return (fields.GetValueOrDefault("vendor_id", "unknown"), ParseOrZero(fields.GetValueOrDefault("cpu family")), ParseOrZero(fields.GetValueOrDefault("model")));
        }
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<byte> name = stackalloc byte[12];
        BitConverter.TryWriteBytes(name, ebx);
        BitConverter.TryWriteBytes(name[4..], edx);
        BitConverter.TryWriteBytes(name[8..], ecx);
        int eax = X86Base.CpuId(1, 0).Eax;
        int baseFamily = (eax >> 8) & 0xF, baseModel = (eax >> 4) & 0xF;
        int family = baseFamily == 0xF ? baseFamily + ((eax >> 20) & 0xFF) : baseFamily;
        int model = baseFamily is 0x6 or 0xF ? (((eax >> 16) & 0xF) << 4) | baseModel : baseModel;
        return (Encoding.ASCII.GetString(name), family, model);
    }

    /// <summary>The model name from /proc/cpuinfo (what lscpu shows), else CPUID's brand string, else "unknown".</summary>
    private static string ModelName()
    {
        if (CpuInfoFields().TryGetValue("model name", out string? name)) return name;
        if (!X86Base.IsSupported || (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax < 0x80000004) return "unknown";
        Span<byte> brand = stackalloc byte[48];
        for (int i = 0; i < 3; i++)
        {
            var (a, b, c, d) = X86Base.CpuId(unchecked((int)0x80000002) + i, 0);
            BitConverter.TryWriteBytes(brand[(16 * i)..], a);
            BitConverter.TryWriteBytes(brand[(16 * i + 4)..], b);
            BitConverter.TryWriteBytes(brand[(16 * i + 8)..], c);
            BitConverter.TryWriteBytes(brand[(16 * i + 12)..], d);
        }
        return Encoding.ASCII.GetString(brand).TrimEnd('\0').Trim();
    }

    /// <summary>The first processor's "key: value" lines of /proc/cpuinfo; empty where there is no procfs.</summary>
    private static Dictionary<string, string> CpuInfoFields()
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.Length == 0) break;
                int colon = line.IndexOf(':');
                if (colon > 0) fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return fields;
    }

    private static int ParseOrZero(string? text) => int.TryParse(text, CultureInfo.InvariantCulture, out int v) ? v : 0;
}
