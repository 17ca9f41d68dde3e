namespace NanoFed.Cli;

/// <summary>
/// --dry-run of train, fl and gossip: the options (and --config or the resumed folder's configuration) are checked as
/// a run would check them before reading images, and the configuration that the run folder's config.json would hold
/// is printed; nothing is written, no image is read.
/// </summary>
internal static class DryRun
{
    public static System.CommandLine.Option<bool> Create() => new("--dry-run")
    {
        Description = "Check the options and print the configuration config.json would hold, without creating the run folder or training",
    };

    /// <summary>Prints the resolved configuration on stdout; exit code 0.</summary>
    public static int Print(string json)
    {
        Console.WriteLine(json);
        return 0;
    }
}
