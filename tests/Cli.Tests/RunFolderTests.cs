using System.Diagnostics;
using NanoFed.Cli;
using NanoFed.Nets.Checkpoints;
using NanoFed.Nets.Training;
using Xunit;
using static NanoFed.Tests.Cli.ProgramTests;

namespace NanoFed.Tests.Cli;

/// <summary>
/// A run folder is not overwritten by mistake, a resumed run computes what its checkpoint says and nothing else, and a
/// run killed with SIGKILL at any moment resumes to the uninterrupted run's final weights with all its metrics.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public sealed class RunFolderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-runs-").FullName;
    private readonly string _data;

    public RunFolderTests()
    {
        _data = Path.Combine(_dir, "data");
        SyntheticFashionMnist.Write(_data);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] Tiny(string folder, int epochs = 2) =>
        ["train", "--model", "smallcnn", "--data", _data, "--batch", "64", "--seed", "3", "--epochs", $"{epochs}", "--threads", "1", "--out", folder];

    [Fact]
    public void ANewRunIntoAFolderThatHoldsOneIsRefusedUnlessForced()
    {
        string run = Path.Combine(_dir, "run");
        Assert.Equal(0, Run(Tiny(run, 1)).Code);
        AssertBadInput(Run(Tiny(run, 1)), "already holds a run (config.json); continue it with --resume or replace it with --force");
        Assert.Equal(0, Run([.. Tiny(run, 1), "--force"]).Code);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Length);
    }

    [Theory]
    [InlineData("fl", "--method", "fedavg", "--clients", "4", "--per-round", "2", "--rounds", "1", "--samples-per-client", "40")]
    [InlineData("gossip", "--method", "sgp", "--agents", "2", "--graph", "ring", "--limit", "128", "--test-limit", "50", "--batch", "32", "--epochs", "1")]
    public void FlAndGossipRefuseAFolderThatHoldsARunUnlessForced(string command, params string[] options)
    {
        string run = Path.Combine(_dir, command);
        string[] args = [command, .. options, "--model", "smallcnn", "--data", _data, "--threads", "1", "--out", run];
        Assert.Equal(0, Run(args).Code);
        AssertBadInput(Run(args), "already holds a run (config.json); continue it with --resume or replace it with --force");
        Assert.Equal(0, Run([.. args, "--force"]).Code);
    }

    [Fact]
    public void ResumeRefusesOptionsThatWouldChangeTheSavedRun()
    {
        string run = Path.Combine(_dir, "run");
        Assert.Equal(0, Run([.. Tiny(run), "--stop-after", "1"]).Code);
        var r = Run("train", "--resume", "--out", run, "--data", _data, "--epochs", "5", "--model", "resnet20");
        AssertBadInput(r, "drop --model, --epochs");
        Assert.Equal(0, Run("train", "--resume", "--out", run, "--data", _data, "--threads", "1").Code);
    }

    [Fact]
    public void StaleCheckpointTemporariesAreRemovedButALiveWritersAreKept()
    {
        string run = Directory.CreateDirectory(Path.Combine(_dir, "tmp")).FullName;
        string stale = Path.Combine(run, $".last.safetensors.{int.MaxValue}.0123abcd.tmp");
        string live = Path.Combine(run, $".last.safetensors.{Environment.ProcessId}.0123abcd.tmp");
        string other = Path.Combine(run, ".notes.tmp");
        foreach (string f in new[] { stale, live, other }) File.WriteAllText(f, "x");
        Assert.Equal(1, RunFolder.RemoveStaleTemporaries(run));
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(other));
    }

    /// <summary>
    /// SIGKILL at three moments of a 3-epoch run (checkpoints every 2 steps too): each time the process is killed, then
    /// resumed until done; the final weights are the uninterrupted run's bit for bit and metrics.csv has every epoch.
    /// </summary>
    [Fact]
    public async Task AKilledRunResumesToTheUninterruptedResult()
    {
        string whole = Path.Combine(_dir, "whole"), killed = Path.Combine(_dir, "killed");
        string[] options = ["--checkpoint-every", "2", .. Tiny(whole, 3)[1..^1]];
        Assert.Equal(0, Run(["train", .. options, whole]).Code);
        var rng = new Random(7);
        int kills = 0;
        while (!File.Exists(Path.Combine(killed, "final.safetensors")))
        {
            // Killed before its first checkpoint, the run starts over (--force, as its folder holds config.json).
            string[] args = File.Exists(Path.Combine(killed, "last.safetensors"))
                ? ["train", "--resume", "--data", _data, "--threads", "1", "--out", killed]
                : ["train", .. options, killed, "--force"];
            // Kill a few times at random points, then let the run finish.
            bool finish = kills == 3;
            var (code, text) = await RunProcess(args, finish ? null : TimeSpan.FromMilliseconds(rng.Next(300, 2500)));
            if (code == -9) kills++;
            else Assert.True(code == 0, text);
        }
        var first = SafeTensors.ReadRaw(Path.Combine(whole, "final.safetensors")).Tensors;
        var second = SafeTensors.ReadRaw(Path.Combine(killed, "final.safetensors")).Tensors;
        foreach (var (name, t) in first) Assert.True(t.Data.AsSpan().SequenceEqual(second[name].Data), name);
        Assert.Equal(File.ReadAllLines(Path.Combine(whole, "metrics.csv")).Length, File.ReadAllLines(Path.Combine(killed, "metrics.csv")).Length);
        Assert.Empty(Directory.GetFiles(killed, "*.tmp"));
    }

    /// <summary>Runs the CLI as a process; with <paramref name="killAfter"/>, SIGKILLs it then (unless it ended first).</summary>
    private static async Task<(int Code, string Text)> RunProcess(string[] args, TimeSpan? killAfter)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(killAfter ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (killAfter is not null)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            return (-9, await output + await error);
        }
        return (process.ExitCode, await output + await error);
    }
}
