using Xunit;

namespace NanoFed.Tests;

/// <summary>Where the real datasets are; a test that needs one and cannot find it is skipped with the reason.</summary>
internal static class DataPaths
{
    /// <summary>
    /// The data root: NANOFED_DATA, else the first shared/data found walking up from the test binaries (the
    /// repository's ../shared/data, for a checkout beside the shared folder).
    /// </summary>
    public static string? Root
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("NANOFED_DATA");
            if (!string.IsNullOrEmpty(env)) return Directory.Exists(env) ? env : null;
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "shared", "data");
                if (Directory.Exists(candidate)) return candidate;
            }
            return null;
        }
    }

    /// <summary>The CIFAR-10 binary folder, or a skip naming what was looked for.</summary>
    public static string Cifar10()
    {
        string? root = Root;
        string? folder = root is null ? null : Path.Combine(root, "cifar-10-batches-bin");
        Assert.SkipWhen(folder is null || !File.Exists(Path.Combine(folder, "data_batch_1.bin")),
            $"CIFAR-10 not found: set NANOFED_DATA or place shared/data/cifar-10-batches-bin above the repository ({Searched(folder)})");
        return folder!;
    }

    private static string Searched(string? folder)
    {
        string? env = Environment.GetEnvironmentVariable("NANOFED_DATA");
        if (!string.IsNullOrEmpty(env) && !Directory.Exists(env)) return $"NANOFED_DATA={env} does not exist";
        return folder is null ? $"no shared/data above {AppContext.BaseDirectory}" : $"no data_batch_1.bin in {folder}";
    }

    /// <summary>The Fashion-MNIST folder (root/fashion-mnist, else the Debian dataset-fashion-mnist package), or a skip.</summary>
    public static string FashionMnist()
    {
        string? root = Root;
        string[] candidates = [root is null ? "" : Path.Combine(root, "fashion-mnist"), "/usr/share/datasets/fashion-mnist"];
        string? folder = candidates.FirstOrDefault(c => c.Length > 0 && File.Exists(Path.Combine(c, "t10k-labels-idx1-ubyte.gz")));
        Assert.SkipWhen(folder is null, $"Fashion-MNIST not found in {string.Join(" or ", candidates.Where(c => c.Length > 0))}");
        return folder!;
    }
}

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(PathName = Path.Combine(Path.GetTempPath(), "nanofed-" + Guid.NewGuid().ToString("N")));

    public string PathName { get; }

    public string File(string name) => Path.Combine(PathName, name);

    public void Dispose() => Directory.Delete(PathName, recursive: true);
}
