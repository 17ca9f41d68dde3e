namespace NanoFed.Bench;

/// <summary>Command-line options of the bench.</summary>
public sealed class Options
{
    public int Threads { get; private set; } = Environment.ProcessorCount;
    public int Reps { get; private set; } = 7;
    public string? JsonPath { get; private set; }
    public bool RunPeer { get; private set; } = true;
    public string? PeerPath { get; private set; }

    /// <summary>Parses the arguments; prints the usage and returns null on bad input.</summary>
    public static Options? Parse(string[] args)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--threads" when int.TryParse(Next(), out int t) && t is >= 1 and <= 64: o.Threads = t; break;
                case "--reps" when int.TryParse(Next(), out int r) && r >= 5: o.Reps = r; break;
                case "--json" when Next() is { } path: o.JsonPath = path; break;
                case "--peer" when Next() is { } peer: o.PeerPath = Path.GetFullPath(peer); break;
                case "--no-peer": o.RunPeer = false; break;
                default:
                    Console.Error.WriteLine($"bad argument '{args[i]}'");
                    Console.Error.WriteLine("usage: NanoFed.Bench [--threads N] [--reps N>=5] [--json FILE] [--no-peer] [--peer PATH]");
                    return null;
            }
        }
        return o;
    }
}

/// <summary>What the machine is and how busy it is.</summary>
public static class Machine
{
    /// <summary>The CPU model name from /proc/cpuinfo (as lscpu shows it), or "unknown".</summary>
    public static string CpuModel()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return "unknown";
    }

    /// <summary>The 1/5/15-minute load averages from /proc/loadavg, or "unknown".</summary>
    public static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "unknown"; }
    }
}
