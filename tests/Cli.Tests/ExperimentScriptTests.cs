using System.Diagnostics;
using Xunit;

namespace NanoFed.Tests.Cli;

/// <summary>
/// The experiment scripts (experiments/*.sh) run for hours, so no test runs them; `bash -n` at least parses each, so a
/// script edited in a hurry (faults-reduced.sh drives fl-reduced.sh and gossip-reduced.sh) fails here, not at night.
/// </summary>
public class ExperimentScriptTests
{
    public static TheoryData<string> Scripts() =>
        [.. Directory.GetFiles(Path.Combine(PackageTests.RepositoryRoot(), "experiments"), "*.sh").Select(f => Path.GetFileName(f)).Order()];

    [Theory]
    [MemberData(nameof(Scripts))]
    public void ParsesAsBash(string script)
    {
        string path = Path.Combine(PackageTests.RepositoryRoot(), "experiments", script);
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, ArgumentList = { "-n", path } };
        using var process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"bash -n {script}: {error}");
    }
}
