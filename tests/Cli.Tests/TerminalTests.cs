using System.Diagnostics;
using NanoFed.Cli;
using Xunit;

namespace NanoFed.Tests.Cli;

/// <summary>
/// Each command in a real pseudo-terminal (util-linux `script`), where Spectre.Console draws its progress bars and
/// the summaries it prints hold brackets, percentages and Unicode: the interactive path that redirected tests never
/// take (gossip's '[40.96 %, 57.17 %]' once crashed it as markup).
/// </summary>
public sealed class TerminalTests : IDisposable
{
    private const string Fashion = "/usr/share/datasets/fashion-mnist";

    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-tty-").FullName;

    public TerminalTests() => SyntheticFashionMnist.Write(Data);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Data => Path.Combine(_dir, "data");

    private string Run(string name) => Path.Combine(_dir, name);

    private string Common(string run) => $"--model smallcnn --data '{Data}' --threads 1 --out '{Run(run)}'";

    [Theory]
    [InlineData("train --batch 64 --epochs 2", "epoch 2/2")]
    [InlineData("fl --method splitfed --clients 4 --per-round 2 --rounds 2 --samples-per-client 40 --split-index 2", "round 2/2")]
    [InlineData("gossip --method sparse-push --agents 2 --graph ring --limit 256 --test-limit 200 --batch 32 --keep 0.1 --epochs 2", "agents")]
    public async Task RunsInAPseudoTerminalWithoutAnException(string command, string expected)
    {
        string text = await InTerminal($"{command} {Common("run")}");
        Assert.Contains(expected, text, StringComparison.Ordinal);
        // Spectre only draws a bar on a terminal: its glyphs show the interactive path really ran.
        Assert.Contains("━", text, StringComparison.Ordinal);
    }

    /// <summary>eval, compare and report over one run of each kind, and bench: what they print (percentages, the agents'
    /// [min, max] range, units) reaches a terminal whole.</summary>
    [Fact]
    [Trait("Category", "EndToEnd")]
    public async Task TheReadingCommandsRunInAPseudoTerminal()
    {
        await InTerminal($"train --batch 64 --epochs 1 {Common("t")}");
        await InTerminal($"fl --method fedavg --clients 4 --per-round 2 --rounds 1 --samples-per-client 40 {Common("f")}");
        await InTerminal($"gossip --method sparse-push --agents 2 --graph ring --limit 256 --test-limit 200 --batch 32 --epochs 1 {Common("g")}");
        Assert.Contains("%", await InTerminal($"eval --run '{Run("t")}'"), StringComparison.Ordinal);
        Assert.Contains("%", await InTerminal($"eval --run '{Run("f")}'"), StringComparison.Ordinal);
        Assert.Contains("[", await InTerminal($"eval --run '{Run("g")}'"), StringComparison.Ordinal);
        string runs = $"'{Run("t")}' '{Run("f")}' '{Run("g")}'";
        Assert.Contains("|", await InTerminal($"compare {runs} --out '{Run("c")}'"), StringComparison.Ordinal);
        Assert.Contains("report.md", await InTerminal($"report {runs} --out '{Run("r")}'"), StringComparison.Ordinal);
        Assert.Contains("GFLOP/s", await InTerminal("bench --only \"fma peak\" --no-peer --reps 1 --threads 1"), StringComparison.Ordinal);
    }

    /// <summary>data fetch from a mirror on 127.0.0.1 serving Debian's copy of the Fashion-MNIST archives: a progress bar
    /// per file, the checksums verified; then data check of the folder it filled.</summary>
    [Fact]
    [Trait("Category", "EndToEnd")]
    public async Task DataFetchAndCheckRunInAPseudoTerminal()
    {
        Assert.SkipUnless(Directory.Exists(Fashion), $"Debian's dataset-fashion-mnist is not installed ({Fashion})");
        using var mirror = new LocalHttpServer();
        Uri? any = null;
        foreach (string file in Directory.GetFiles(Fashion, "*.gz")) any = mirror.Serve("/fashion/" + Path.GetFileName(file), File.ReadAllBytes(file));
        string root = Run("fetched");
        string text = await InTerminal($"data fetch fashion-mnist --dir '{root}' --mirror {new Uri(any!, ".")}");
        Assert.Contains("━", text, StringComparison.Ordinal);
        Assert.Contains("SHA-256 verified", text, StringComparison.Ordinal);
        Assert.Equal(4, mirror.Requests);
        Assert.Contains("all files verified", await InTerminal($"data check --dir '{root}'"), StringComparison.Ordinal);
    }

    /// <summary>Runs `nanofed <paramref name="command"/>` in a pseudo-terminal; asserts it exits with 0 and prints no exception; returns what it printed.</summary>
    private static async Task<string> InTerminal(string command)
    {
        Assert.SkipUnless(File.Exists("/usr/bin/script"), "util-linux script (a pseudo-terminal) is not installed");
        string dll = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo("/usr/bin/script", ["-qec", $"dotnet '{dll}' {command}", "/dev/null"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        start.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(start)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        string text = await output + await error;
        Assert.True(process.ExitCode == 0, $"nanofed {command}: {text}");
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        return text;
    }
}
