namespace NanoFed.Nets.Data;

/// <summary>
/// Where datasets live: a folder given by the user (the CLI's --data DIR), else the environment variable
/// <see cref="EnvironmentVariable"/>, else the per-user <see cref="DefaultFolder"/> that `nanofed data fetch` fills.
/// Readers accept either the root (holding cifar-10-batches-bin/, fashion-mnist/) or a dataset's own folder.
/// </summary>
public static class DataRoot
{
    /// <summary>The environment variable naming the data root.</summary>
    public const string EnvironmentVariable = "NANOFED_DATA";

    /// <summary>How to get the data, for error messages that find none.</summary>
    public const string FetchHint = "get it with `nanofed data fetch cifar10|fashion-mnist [--dir DIR]`";

    /// <summary>
    /// The per-user data folder: $XDG_CACHE_HOME/nanofed/data (or ~/.cache/nanofed/data), and the local application
    /// data folder on Windows.
    /// </summary>
    public static string DefaultFolder
    {
        get
        {
            string? cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(cache))
                cache = OperatingSystem.IsWindows()
                    ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
                    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(cache, "nanofed", "data");
        }
    }

    /// <summary>
    /// <paramref name="option"/> if given, else the value of NANOFED_DATA, else <see cref="DefaultFolder"/> if it exists;
    /// throws an <see cref="ArgumentException"/> with a one-line message when there is none or the folder is missing.
    /// </summary>
    public static string Resolve(string? option)
    {
        string? root = string.IsNullOrEmpty(option) ? Environment.GetEnvironmentVariable(EnvironmentVariable) : option;
        if (string.IsNullOrEmpty(root))
        {
            if (Directory.Exists(DefaultFolder)) return DefaultFolder;
            throw new ArgumentException($"no data folder: pass --data DIR, set {EnvironmentVariable}, or {FetchHint}", nameof(option));
        }
        if (!Directory.Exists(root))
            throw new ArgumentException($"data folder {root} does not exist ({FetchHint})", nameof(option));
        return root;
    }
}
