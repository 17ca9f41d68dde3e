namespace NanoFed.Bench;

/// <summary>How busy the machine is and how much memory this process took (what it is: <see cref="MachineInfo"/>).</summary>
internal static class Machine
{
    /// <summary>The 1/5/15-minute load averages from /proc/loadavg, or "unknown".</summary>
    public static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "unknown"; }
    }

    /// <summary>This process's peak resident set size in bytes (VmHWM in /proc/self/status), or null where there is no procfs.</summary>
    public static long? PeakResidentBytes()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                string kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
