using System.Globalization;
using System.Text;
using NanoFed.Kernels;

namespace NanoFed;

/// <summary>
/// Measured plans, kept per machine in a text file the user can delete (FFTW's wisdom, cuDNN's benchmark mode): for
/// a class of GEMM shapes, the blocking and thread layout that ran fastest when `nanofed bench --tune` timed the
/// candidates on this machine. A plan changes speed only: every candidate gives the same bits. The file holds one
/// section per machine, headed by its <see cref="MachineInfo.CacheKey"/> (CPU vendor, family, model, model name,
/// vector width, cache sizes); only the section of the machine at hand is used, and a file that does not parse is
/// ignored whole (<see cref="Status"/> says why), never a crash.
/// </summary>
public sealed class PlanCache
{
    /// <summary>The environment variable naming the cache file; "off" runs every shape on the cache model's plan.</summary>
    public const string Variable = "NANOFED_PLAN_CACHE";

    private const string Header = "nanofed-plans\t1";

    private static PlanCache? _active;

    private readonly Dictionary<GemmShape, (GemmChoice Choice, double ModelSeconds, double TunedSeconds)> _gemm = [];
    private readonly List<string> _otherMachines = [];

    private PlanCache(string? path, string machineKey, string status)
    {
        (Path, MachineKey, Status) = (path, machineKey, status);
    }

    /// <summary>The file the plans were read from and are saved to; null when the cache is off.</summary>
    public string? Path { get; }

    /// <summary>The machine whose plans these are.</summary>
    public string MachineKey { get; }

    /// <summary>What loading found: how many plans, or why the file was ignored.</summary>
    public string Status { get; private set; }

    /// <summary>Number of tuned GEMM shape classes for this machine.</summary>
    public int Count => _gemm.Count;

    /// <summary>
    /// The plans every GEMM call looks up: read on first use from <see cref="DefaultPath"/> for
    /// <see cref="MachineInfo.Current"/>, or none when <see cref="Variable"/> is "off".
    /// </summary>
    public static PlanCache Active
    {
        get => _active ?? Interlocked.CompareExchange(ref _active, LoadDefault(), null) ?? _active;
        internal set => _active = value;
    }

    /// <summary>
    /// The cache file: <see cref="Variable"/> when set (null when it is "off"), else $XDG_CACHE_HOME/nanofed/plans.tsv,
    /// else ~/.cache/nanofed/plans.tsv.
    /// </summary>
    public static string? DefaultPath
    {
        get
        {
            string? set = Environment.GetEnvironmentVariable(Variable);
            if (!string.IsNullOrEmpty(set)) return set.Equals("off", StringComparison.OrdinalIgnoreCase) ? null : set;
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string root = !string.IsNullOrEmpty(xdg) ? xdg : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return System.IO.Path.Combine(root, "nanofed", "plans.tsv");
        }
    }

    /// <summary>An empty cache for <paramref name="machineKey"/> that saves to <paramref name="path"/> (null: never saved).</summary>
    public static PlanCache Empty(string? path, string machineKey) => new(path, machineKey, "no plans");

    /// <summary>The plans of <see cref="DefaultPath"/> for this machine, read now (<see cref="Variable"/> as it is set now).</summary>
    internal static PlanCache LoadDefault() =>
        DefaultPath is { } path ? Load(path, MachineInfo.Current.CacheKey) : new PlanCache(null, MachineInfo.Current.CacheKey, $"off ({Variable}=off)");

    /// <summary>
    /// The plans of machine <paramref name="machineKey"/> in <paramref name="path"/>: none when the file does not exist,
    /// holds only other machines' sections, cannot be read, or does not parse (then <see cref="Status"/> names the line).
    /// </summary>
    public static PlanCache Load(string path, string machineKey)
    {
        var cache = new PlanCache(path, machineKey, "no plans yet");
        string[] lines;
        try
        {
            if (!File.Exists(path)) return cache;
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            cache.Status = $"ignored: {path} cannot be read ({e.Message})";
            return cache;
        }
        if (cache.Parse(lines) is { } error)
        {
            cache._gemm.Clear();
            cache._otherMachines.Clear();
            cache.Status = $"ignored: {path} {error}";
        }
        else
        {
            cache.Status = cache.Count > 0 ? $"{cache.Count} GEMM plan{(cache.Count == 1 ? "" : "s")} for this machine from {path}"
                : cache._otherMachines.Count > 0 ? $"no plans for this machine in {path} (only other machines')" : $"no plans in {path}";
        }
        return cache;
    }

    /// <summary>Reads every section, keeping this machine's plans and the other lines verbatim; returns the first error or null.</summary>
    private string? Parse(string[] lines)
    {
        if (lines.Length == 0 || lines[0] != Header) return $"line 1 is not '{Header.Replace('\t', ' ')}'";
        bool mine = false;
        for (int i = 1; i < lines.Length; i++)
        {
            string[] f = lines[i].Split('\t');
            if (f[0] == "machine" && f.Length == 2) mine = f[1] == MachineKey;
            else if (f[0] != "gemm" || !TryParseGemm(f, out var shape, out var entry)) return $"line {i + 1} is not a plan";
            else if (mine && !Gemm.IsValid(entry.Choice, Gemm.Active.Blocking)) return $"line {i + 1} does not fit the {Gemm.Active.Kernel} kernel";
            else if (mine) _gemm[shape] = entry;
            if (!mine) _otherMachines.Add(lines[i]);
        }
        return null;
    }

    /// <summary>One "gemm" line: threads, transA, transB, log2 M, N, K, MC, NC, slices|grid, in-place|packed, model and tuned seconds.</summary>
    private static bool TryParseGemm(string[] f, out GemmShape shape, out (GemmChoice Choice, double ModelSeconds, double TunedSeconds) entry)
    {
        (shape, entry) = (default, default);
        if (f.Length != 13) return false;
        Span<int> v = stackalloc int[8];
        for (int j = 0; j < 8; j++)
            if (!int.TryParse(f[j + 1], NumberStyles.None, CultureInfo.InvariantCulture, out v[j])) return false;
        if (v[1] > 1 || v[2] > 1 || v[3] > 31 || v[4] > 31 || v[5] > 31 || v[0] is < 1 or > 64 || f[9] is not ("slices" or "grid")
            || f[10] is not ("in-place" or "packed")
            || !double.TryParse(f[11], NumberStyles.Float, CultureInfo.InvariantCulture, out double model)
            || !double.TryParse(f[12], NumberStyles.Float, CultureInfo.InvariantCulture, out double tuned))
            return false;
        var choice = new GemmChoice(v[6], v[7], f[9] == "slices", f[10] == "in-place");
        shape = new GemmShape((Transpose)v[1], (Transpose)v[2], v[3], v[4], v[5], v[0]);
        entry = (choice, model, tuned);
        return true;
    }

    /// <summary>The tuned choice for GEMM shape class <paramref name="shape"/>, if there is one.</summary>
    internal bool TryGet(GemmShape shape, out GemmChoice choice)
    {
        bool found = _gemm.TryGetValue(shape, out var entry);
        choice = entry.Choice;
        return found;
    }

    /// <summary>Records the winner for <paramref name="shape"/> with the model's and the winner's median seconds.</summary>
    internal void Set(GemmShape shape, GemmChoice choice, double modelSeconds, double tunedSeconds)
    {
        _gemm[shape] = (choice, modelSeconds, tunedSeconds);
        Status = $"{Count} GEMM plan{(Count == 1 ? "" : "s")} for this machine";
    }

    /// <summary>
    /// Writes the file (other machines' sections kept, this machine's replaced), through a temporary file and a
    /// rename so that a reader never sees half a file. Throws <see cref="InvalidOperationException"/> when the cache is off.
    /// </summary>
    public void Save()
    {
        if (Path is null) throw new InvalidOperationException($"the plan cache is off ({Variable}=off); nothing to save");
        var text = new StringBuilder().Append(Header).Append('\n');
        foreach (string line in _otherMachines) text.Append(line).Append('\n');
        text.Append("machine\t").Append(MachineKey).Append('\n');
        foreach (var (s, (c, model, tuned)) in _gemm.OrderBy(e => (e.Key.Threads, e.Key.TransA, e.Key.TransB, e.Key.MLog, e.Key.NLog, e.Key.KLog)))
        {
            text.AppendJoin('\t', "gemm", I(s.Threads), I((int)s.TransA), I((int)s.TransB), I(s.MLog), I(s.NLog), I(s.KLog), I(c.MC), I(c.NC),
                c.Slices ? "slices" : "grid", c.BInPlace ? "in-place" : "packed", D(model), D(tuned)).Append('\n');
        }
        string? folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
        if (folder != null) Directory.CreateDirectory(folder);
        string temporary = Path + ".tmp";
        File.WriteAllText(temporary, text.ToString());
        File.Move(temporary, Path, overwrite: true);
        Status = $"{Count} GEMM plan{(Count == 1 ? "" : "s")} for this machine saved to {Path}";
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string D(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
