namespace NanoFed.Nets.Data;

/// <summary>
/// Where datasets live: a folder given by the user (the CLI's --data DIR), else the environment variable
/// <see cref="EnvironmentVariable"/>. Readers accept either the root (holding cifar-10-batches-bin/,
/// fashion-mnist/) or a dataset's own folder.
/// </summary>
public static class DataRoot
{
    /// <summary>The environment variable naming the data root.</summary>
    public const string EnvironmentVariable = "NANOFED_DATA";

    /// <summary>
    /// <paramref name="option"/> if given, else the value of NANOFED_DATA; throws an
    /// <see cref="ArgumentException"/> with a one-line message when neither is set or the folder is missing.
    /// </summary>
    public static string Resolve(string? option)
    {
        string? root = string.IsNullOrEmpty(option) ? Environment.GetEnvironmentVariable(EnvironmentVariable) : option;
        if (string.IsNullOrEmpty(root))
            throw new ArgumentException($"no data folder: pass --data DIR or set {EnvironmentVariable}", nameof(option));
        if (!Directory.Exists(root))
            throw new ArgumentException($"data folder {root} does not exist", nameof(option));
        return root;
    }
}
