using System.Diagnostics;
using System.Globalization;

namespace NanoFed.Nets.Training;

/// <summary>
/// The folder a run writes into: a new run does not overwrite an earlier one unless told to, and the temporary files
/// of file writes that a killed process left behind are removed before the run continues.
/// </summary>
public static class RunFolder
{
    /// <summary>Files any of the run commands writes; one of them present means the folder holds a run.</summary>
    private static readonly string[] RunFiles =
    [
        "config.json", "last.safetensors", "checkpoint.safetensors", "final.safetensors", "metrics.csv", "metrics.json",
        "evaluation.csv", "ledger.csv", "ledger-summary.csv", "ledger-summary.json", "partition.csv",
    ];

    /// <summary>
    /// Makes <paramref name="folder"/> ready: refuses, naming <paramref name="option"/>, a folder that already holds a
    /// run unless <paramref name="resume"/> (continue it) or <paramref name="force"/> (its run files are deleted first),
    /// then removes stale temporaries. Returns the folder's full path.
    /// </summary>
    public static string Prepare(string folder, bool resume, bool force, string option = "--out")
    {
        string full = Path.GetFullPath(folder);
        if (!resume && Directory.Exists(full))
        {
            string[] present = Check(folder, resume, force, option);
            foreach (string f in present) File.Delete(Path.Combine(full, f));
            foreach (string plot in Directory.EnumerateFiles(full, "*.svg")) File.Delete(plot);
        }
        Directory.CreateDirectory(full);
        RemoveStaleTemporaries(full);
        return full;
    }

    /// <summary>
    /// What <see cref="Prepare"/> would refuse, without touching the disk (a dry run): a folder that holds a run, unless
    /// <paramref name="resume"/> or <paramref name="force"/>. Returns the run files present, which --force would delete.
    /// </summary>
    public static string[] Check(string folder, bool resume, bool force, string option = "--out")
    {
        string full = Path.GetFullPath(folder);
        if (resume || !Directory.Exists(full)) return [];
        string[] present = RunFiles.Where(f => File.Exists(Path.Combine(full, f))).ToArray();
        if (present.Length > 0 && !force)
            throw new ArgumentException($"{option}: {folder} already holds a run ({present[0]}); continue it with --resume or replace it with --force");
        return present;
    }

    /// <summary>
    /// Deletes the temporaries of interrupted writes in <paramref name="folder"/>
    /// (".NAME.PID.GUID.tmp", see <see cref="Checkpoints.AtomicFile"/>) whose writing process is no longer running;
    /// returns how many it deleted.
    /// </summary>
    public static int RemoveStaleTemporaries(string folder)
    {
        int removed = 0;
        foreach (string path in Directory.EnumerateFiles(folder, ".*.tmp"))
        {
            string[] parts = Path.GetFileName(path).Split('.');
            // "", NAME..., PID, GUID, "tmp": a file of any other shape is not ours to delete.
            if (parts.Length < 5 || !int.TryParse(parts[^3], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            if (IsRunning(pid)) continue;
            File.Delete(path);
            removed++;
        }
        return removed;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
