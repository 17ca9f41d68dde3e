using System.Diagnostics;
using NanoFed.Cli;
using NanoFed.Federation.Decentralized;
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
    /// resumed until done; the final weights are the uninterrupted run's bit for bit and metrics.csv has every epoch,
    /// equal apart from the wall-clock columns (seconds, images_per_s).
    /// </summary>
    [Fact]
    public async Task AKilledRunResumesToTheUninterruptedResult()
    {
        string whole = Path.Combine(_dir, "whole"), killed = Path.Combine(_dir, "killed");
        string[] options = ["--checkpoint-every", "2", .. Tiny(whole, 3)[1..^1]];
        Assert.Equal(0, Run(["train", .. options, whole]).Code);
        await KillAndResume(["train", .. options, killed], ["train", "--resume", "--data", _data, "--threads", "1", "--out", killed],
            Path.Combine(killed, "last.safetensors"), seed: 7, checkpoints: 12);
        var first = SafeTensors.ReadRaw(Path.Combine(whole, "final.safetensors")).Tensors;
        var second = SafeTensors.ReadRaw(Path.Combine(killed, "final.safetensors")).Tensors;
        foreach (var (name, t) in first) Assert.True(t.Data.AsSpan().SequenceEqual(second[name].Data), name);
        static string[] Untimed(string run) => File.ReadAllLines(Path.Combine(run, "metrics.csv")).Select(l => string.Join(',', l.Split(',')[..^2])).ToArray();
        Assert.Equal(Untimed(whole), Untimed(killed));
    }

    private const string FedAvg = "fl --method fedavg";
    private const string SplitFed = "fl --method splitfed";
    private const string EcoFed = "fl --method ecofed --period 2";
    private const string SparsePush = "gossip --method sparse-push --keep 0.1";
    private const string Scsp = "gossip --method scsp --keep 0.1 --gamma 0.2 --consensus-rounds 20 --consensus-bn gossip";

    /// <summary>Options of a tiny fl (4 rounds) or gossip (3 epochs, or 2 and SCSP's consensus rounds) run after <paramref name="method"/>.</summary>
    private string[] TinyOf(string method, string folder) =>
    [
        .. method.Split(' '), "--model", "smallcnn", "--data", _data, "--threads", "1", "--seed", "5", "--out", folder,
        .. method.StartsWith("fl", StringComparison.Ordinal)
            ? new[] { "--clients", "4", "--per-round", "2", "--rounds", "4", "--samples-per-client", "40", "--split-index", "2" }
            : ["--agents", "2", "--graph", "ring", "--limit", "128", "--test-limit", "50", "--batch", "32", "--epochs", method == Scsp ? "2" : "3"],
    ];

    /// <summary>The files an fl or gossip run writes whole at every round or epoch, with its checkpoint.</summary>
    private static string[] RoundFiles(string method) => method.StartsWith("fl", StringComparison.Ordinal)
        ? ["checkpoint.safetensors", "metrics.csv", "metrics.json", "ledger.csv", "ledger-summary.csv", "ledger-summary.json"]
        : ["checkpoint.safetensors", "metrics.csv", "metrics.json"];

    /// <summary>
    /// A kill after the last round's (or epoch's) checkpoint and before its files, made by taking the files back to the
    /// round before (ledger.csv, written at the end, not yet there; for SCSP, the consensus phase's row not yet written):
    /// the resumed run writes the uninterrupted run's files, byte for byte.
    /// </summary>
    [Theory]
    [InlineData(FedAvg)]
    [InlineData(EcoFed)]
    [InlineData(SparsePush)]
    [InlineData(Scsp)]
    public void AKillBetweenTheLastCheckpointAndItsMetricsLosesNothing(string method)
    {
        string whole = Path.Combine(_dir, "whole"), killed = Path.Combine(_dir, "killed");
        var r = Run(TinyOf(method, whole));
        Assert.True(r.Code == 0, r.Err);
        Directory.CreateDirectory(killed);
        foreach (string f in Directory.GetFiles(whole)) File.Copy(f, Path.Combine(killed, Path.GetFileName(f)));
        var rows = File.ReadAllLines(Path.Combine(whole, "metrics.csv"));
        File.WriteAllLines(Path.Combine(killed, "metrics.csv"), rows[..^1]);
        File.Delete(Path.Combine(killed, "metrics.json"));
        File.Delete(Path.Combine(killed, "ledger.csv"));
        r = Run(method.Split(' ')[0], "--resume", "--data", _data, "--threads", "1", "--out", killed);
        Assert.True(r.Code == 0, r.Err);
        foreach (string f in RoundFiles(method)) Assert.True(File.ReadAllBytes(Path.Combine(whole, f)).SequenceEqual(File.ReadAllBytes(Path.Combine(killed, f))), f);
    }

    /// <summary>
    /// SIGKILL of a real fl or gossip process at three moments drawn from a fixed seed, each time resumed with --resume,
    /// until a session ends: the checkpoint (weights, server or agents' state, metrics, ledger) and every round file are
    /// the uninterrupted run's, byte for byte. The seeds are chosen so that the moments include kills while a round or
    /// epoch trains, tens of milliseconds after a checkpoint (while the metrics are written) and, for SCSP, after the
    /// last training checkpoint (in the consensus rounds); the test output says where each kill left metrics.csv.
    /// </summary>
    [Theory]
    [Trait("Category", "EndToEnd")]
    [InlineData(FedAvg, 28)]
    [InlineData(SplitFed, 7)]
    [InlineData(EcoFed, 17)]
    [InlineData(SparsePush, 3)]
    [InlineData(Scsp, 28)]
    public async Task AKilledFlOrGossipRunResumesToTheUninterruptedResult(string method, int seed)
    {
        string whole = Path.Combine(_dir, "whole"), killed = Path.Combine(_dir, "killed");
        var r = Run(TinyOf(method, whole));
        Assert.True(r.Code == 0, r.Err);
        int resumed = await KillAndResume(TinyOf(method, killed), [method.Split(' ')[0], "--resume", "--data", _data, "--threads", "1", "--out", killed],
            Path.Combine(killed, "checkpoint.safetensors"), seed, checkpoints: method == Scsp ? 3 : 4);
        Assert.True(resumed > 0, "no kill came after a checkpoint");
        foreach (string f in RoundFiles(method)) Assert.True(File.ReadAllBytes(Path.Combine(whole, f)).SequenceEqual(File.ReadAllBytes(Path.Combine(killed, f))), f);
        Assert.Empty(Directory.GetFiles(killed, "*.tmp"));
    }

    /// <summary>
    /// SIGKILL inside SCSP's consensus phase, made certain rather than drawn: 300 consensus rounds take seconds, and the
    /// kill comes 300 ms after the second epoch's line; the checkpoint left behind holds the two training epochs and no
    /// consensus row (so the kill did land in the consensus rounds), and the resumed run writes the uninterrupted run's
    /// files byte for byte.
    /// </summary>
    [Fact]
    [Trait("Category", "EndToEnd")]
    public async Task AKillInsideScspsConsensusRoundsResumesToTheUninterruptedResult()
    {
        string slow = Scsp.Replace("--consensus-rounds 20", "--consensus-rounds 1000", StringComparison.Ordinal);
        string whole = Path.Combine(_dir, "whole"), killed = Path.Combine(_dir, "killed");
        var r = Run(TinyOf(slow, whole));
        Assert.True(r.Code == 0, r.Err);
        string metrics = Path.Combine(killed, "metrics.csv");
        var (code, text) = await RunProcess(TinyOf(slow, killed), cancel => AfterRows(metrics, 2, TimeSpan.FromMilliseconds(100), cancel));
        Assert.True(code == -9, $"the run ended before the kill: {text}");
        var (_, metadata) = SafeTensors.ReadRaw(Path.Combine(killed, "checkpoint.safetensors"));
        var saved = DecentralizedMetrics.FromJson(metadata["metrics"]);
        Assert.Equal([1, 2], saved.Select(m => m.Epoch));
        Assert.All(saved, m => Assert.True(m.Phase == DecentralizedPhase.Training, "the checkpoint already holds the consensus phase: the kill came after it"));
        r = Run("gossip", "--resume", "--data", _data, "--threads", "1", "--out", killed);
        Assert.True(r.Code == 0, r.Err);
        foreach (string f in RoundFiles(Scsp)) Assert.True(File.ReadAllBytes(Path.Combine(whole, f)).SequenceEqual(File.ReadAllBytes(Path.Combine(killed, f))), f);
    }

    /// <summary>
    /// Runs <paramref name="fresh"/> and SIGKILLs it at three moments drawn from <paramref name="seed"/>: the first within
    /// 50 ms of the first write of <paramref name="checkpoint"/>, the others after the n-th write in their session (n below
    /// <paramref name="checkpoints"/>; 0 is from the start) and then 0-1.5 s more. After each kill the run goes on with <paramref name="resume"/>, or starts over
    /// (--force) when no checkpoint was written yet; the session after the third kill, or one that ends first, runs to
    /// the end. Returns how many sessions resumed from a checkpoint.
    /// </summary>
    private static async Task<int> KillAndResume(string[] fresh, string[] resume, string checkpoint, int seed, int checkpoints)
    {
        const int Kills = 3;
        var rng = new Random(seed);
        int resumed = 0;
        for (int kills = 0; ; kills++)
        {
            bool resuming = File.Exists(checkpoint);
            // The first kill lands within 50 ms of the first checkpoint, so that at least one session resumes however fast
            // the machine runs the tiny run (on a quiet machine a kill 1.5 s after a late checkpoint came after the end).
            int writes = kills == 0 ? 1 : rng.Next(0, checkpoints);
            var delay = TimeSpan.FromMilliseconds(kills == 0 ? rng.Next(0, 50) : rng.Next(0, 1500));
            var (code, text) = await RunProcess(resuming ? resume : [.. fresh, "--force"],
                kills < Kills ? cancel => AfterWrites(checkpoint, writes, delay, cancel) : null);
            string metrics = Path.Combine(Path.GetDirectoryName(checkpoint)!, "metrics.csv");
            TestContext.Current.TestOutputHelper?.WriteLine($"session {kills + 1}: {(resuming ? "resumed" : "fresh")}, " + (code == -9
                ? $"killed {delay.TotalMilliseconds} ms after checkpoint write {writes}, leaving {(File.Exists(metrics) ? File.ReadAllLines(metrics).Length - 1 : 0)} rows in metrics.csv"
                : $"exit {code}"));
            if (resuming) resumed++;
            if (code == -9) continue;
            // A kill after the last files were written, before the process exited, leaves a finished run, which fl refuses to resume.
            if (code == Program.BadInput && text.Contains("rounds already", StringComparison.Ordinal)) return resumed;
            Assert.True(code == 0, text);
            return resumed;
        }
    }

    /// <summary>Completes <paramref name="delay"/> after the <paramref name="writes"/>-th change of <paramref name="path"/> from now.</summary>
    private static async Task AfterWrites(string path, int writes, TimeSpan delay, CancellationToken cancel)
    {
        var last = File.GetLastWriteTimeUtc(path);
        for (int seen = 0; seen < writes;)
        {
            await Task.Delay(2, cancel);
            var now = File.GetLastWriteTimeUtc(path);
            if (now != last) (seen, last) = (seen + 1, now);
        }
        await Task.Delay(delay, cancel);
    }

    /// <summary>Completes <paramref name="delay"/> after the CSV file at <paramref name="path"/> holds <paramref name="rows"/> rows below its header.</summary>
    private static async Task AfterRows(string path, int rows, TimeSpan delay, CancellationToken cancel)
    {
        while (!(File.Exists(path) && File.ReadAllLines(path).Length > rows)) await Task.Delay(2, cancel);
        await Task.Delay(delay, cancel);
    }

    /// <summary>Runs the CLI as a process; with <paramref name="killWhen"/>, SIGKILLs it when that completes (unless it ended first).</summary>
    private static async Task<(int Code, string Text)> RunProcess(string[] args, Func<CancellationToken, Task>? killWhen)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        var exit = process.WaitForExitAsync(timeout.Token);
        if (killWhen is not null)
        {
            using var watching = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            var kill = killWhen(watching.Token);
            bool killed = await Task.WhenAny(exit, kill) == kill && !kill.IsCanceled;
            await watching.CancelAsync();
            if (killed)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(TestContext.Current.CancellationToken);
                return (-9, await output + await error);
            }
        }
        await exit;
        return (process.ExitCode, await output + await error);
    }
}
