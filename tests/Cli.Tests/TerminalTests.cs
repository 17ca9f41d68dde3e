using System.Diagnostics;
using NanoFed.Cli;
using Xunit;

namespace NanoFed.Tests.Cli;

/// <summary>
/// Each run command in a real pseudo-terminal (util-linux `script`), where Spectre.Console draws its progress bars and
/// the summaries it prints hold brackets, percentages and Unicode: the interactive path that redirected tests never
/// take (gossip's '[40.96 %, 57.17 %]' once crashed it as markup).
/// </summary>
public sealed class TerminalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-tty-").FullName;

    public TerminalTests() => SyntheticFashionMnist.Write(Path.Combine(_dir, "data"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("train --model smallcnn --batch 64 --epochs 2", "epoch 2/2")]
    [InlineData("fl --method splitfed --model smallcnn --clients 4 --per-round 2 --rounds 2 --samples-per-client 40 --split-index 2", "round 2/2")]
    [InlineData("gossip --method sparse-push --agents 2 --graph ring --model smallcnn --limit 256 --test-limit 200 --batch 32 --keep 0.1 --epochs 2", "agents")]
    public async Task RunsInAPseudoTerminalWithoutAnException(string command, string expected)
    {
        Assert.SkipUnless(File.Exists("/usr/bin/script"), "util-linux script (a pseudo-terminal) is not installed");
        string dll = typeof(Program).Assembly.Location;
        string line = $"dotnet '{dll}' {command} --data '{Path.Combine(_dir, "data")}' --threads 1 --out '{Path.Combine(_dir, "run")}'";
        var start = new ProcessStartInfo("/usr/bin/script", ["-qec", line, "/dev/null"])
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
        Assert.True(process.ExitCode == 0, text);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        Assert.Contains(expected, text, StringComparison.Ordinal);
        // Spectre only draws a bar on a terminal: its glyphs show the interactive path really ran.
        Assert.Contains("━", text, StringComparison.Ordinal);
    }
}
