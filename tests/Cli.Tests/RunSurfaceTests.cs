using System.Globalization;
using System.Text.Json;
using NanoFed.Federation.Experiments;
using Xunit;
using static NanoFed.Tests.Cli.ProgramTests;

namespace NanoFed.Tests.Cli;

/// <summary>
/// What the three run commands share: --dry-run (checks, prints the resolved configuration, writes nothing), compare and
/// eval over train, fl and gossip folders, and a resumed run that finds its data without --data. Tiny runs on the
/// synthetic Fashion-MNIST set.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public sealed class RunSurfaceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-surface-").FullName;

    public RunSurfaceTests() => SyntheticFashionMnist.Write(Data);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Data => Path.Combine(_dir, "data");

    private string[] Common => ["--model", "smallcnn", "--data", Data, "--threads", "1"];

    private string[] Fl(string name, params string[] more) =>
        Set(["fl", "--method", "fedavg", "--clients", "4", "--per-round", "2", "--rounds", "2", "--samples-per-client", "40", .. Common, "--out", Path.Combine(_dir, name)], more);

    private string[] Gossip(string name, params string[] more) =>
        Set(["gossip", "--method", "sparse-push", "--agents", "2", "--graph", "ring", "--limit", "256", "--test-limit", "100", "--batch", "32", "--epochs", "2", .. Common,
            "--out", Path.Combine(_dir, name)], more);

    private string[] Train(string name, params string[] more) => Set(["train", "--epochs", "1", "--batch", "64", .. Common, "--out", Path.Combine(_dir, name)], more);

    /// <summary><paramref name="args"/> with each "--option value" of <paramref name="more"/> replacing the option's value, or added (a flag is added).</summary>
    private static string[] Set(string[] args, string[] more)
    {
        var list = args.ToList();
        for (int i = 0; i < more.Length; i++)
        {
            bool hasValue = i + 1 < more.Length && !more[i + 1].StartsWith("--", StringComparison.Ordinal);
            int at = list.IndexOf(more[i]);
            if (at >= 0 && hasValue) list[at + 1] = more[i + 1];
            else if (at < 0) list.AddRange(hasValue ? [more[i], more[i + 1]] : [more[i]]);
            if (hasValue) i++;
        }
        return [.. list];
    }

    /// <summary>Each command's --dry-run prints the configuration its config.json would hold (kebab-case keys) and creates nothing.</summary>
    [Fact]
    public void DryRunPrintsTheResolvedConfigurationAndWritesNothing()
    {
        // An empty data root passes: validation reads no image, where a real run would fail on the missing files.
        string empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        foreach (var (args, keys) in new (string[] Args, string[] Keys)[]
        {
            (Train("t", "--weight-decay", "0.001", "--dry-run"), ["weight-decay", "checkpoint-every", "test-files", "data"]),
            (Fl("f", "--lr", "0.2", "--dry-run"), ["per-round", "samples-per-client", "weight-decay", "system", "test-files"]),
            (Gossip("g", "--lr", "0.2", "--dry-run"), ["index-coding", "weight-decay", "test-limit"]),
        })
        {
            var r = Run(args.Select(a => a == Data ? empty : a).ToArray());
            Assert.True(r.Code == 0, r.Err);
            using var json = JsonDocument.Parse(r.Out);
            foreach (string key in keys) Assert.True(json.RootElement.TryGetProperty(key, out _), $"{args[0]}: {key}");
            Assert.DoesNotContain(json.RootElement.EnumerateObject(), p => p.Name.Contains('_', StringComparison.Ordinal));
            Assert.Equal("fashion-mnist", json.RootElement.GetProperty("dataset").GetString());
            Assert.False(Directory.Exists(Path.Combine(_dir, args[0][0].ToString())), args[0]);
        }
        Assert.Equal(Path.GetFullPath(empty), JsonDocument.Parse(Run([.. Train("t").Select(a => a == Data ? empty : a), "--dry-run"]).Out).RootElement.GetProperty("data").GetString());
        Assert.Equal(0.2, JsonDocument.Parse(Run(Fl("f", "--lr", "0.2", "--dry-run")).Out).RootElement.GetProperty("lr").GetDouble());
    }

    /// <summary>Each run command's defaults are its library configuration's (and FedAvg's local training is fl's): the dry run of no option prints the default record.</summary>
    [Fact]
    public void EachCommandsDefaultsAreItsLibraryConfigurations()
    {
        string[] fashion = ["--model", "smallcnn", "--data", Data, "--dry-run"];
        var train = Run(["train", .. fashion]);
        Assert.True(train.Code == 0, train.Err);
        Assert.Equal(new NanoFed.Nets.Training.TrainingConfig { Model = "smallcnn", Dataset = "fashion-mnist", Data = Path.GetFullPath(Data) }.ToJson(), train.Out.TrimEnd());
        Assert.Equal(new FlConfig { Model = "smallcnn" }.Resolve().ToJson(), Run(["fl", .. fashion]).Out.TrimEnd());
        Assert.Equal(new GossipConfig { Model = "smallcnn", Dataset = "fashion-mnist" }.ToJson(), Run(["gossip", .. fashion]).Out.TrimEnd());
        var fedavg = new NanoFed.Federation.Fl.FedAvgOptions();
        Assert.Equal((new FlConfig().LocalEpochs, new FlConfig().Batch, new FlConfig().Lr, new FlConfig().Momentum, new FlConfig().WeightDecay),
            (fedavg.E, fedavg.B, fedavg.Lr, fedavg.Momentum, fedavg.WeightDecay));
    }

    /// <summary>train --config runs a run folder's config.json again (same metrics); an option given explicitly overrides the file.</summary>
    [Fact]
    public void TrainConfigFileRunsAgainAndExplicitOptionsOverrideIt()
    {
        Assert.Equal(0, Run(Train("first", "--seed", "5", "--limit", "300", "--no-augment")).Code);
        string config = Path.Combine(_dir, "first", "config.json");
        var again = Run("train", "--config", config, "--threads", "1", "--out", Path.Combine(_dir, "again"));
        Assert.True(again.Code == 0, again.Err);
        Assert.Equal(File.ReadAllText(Path.Combine(_dir, "first", "metrics.csv")).Split('\n').Select(Accuracies),
            File.ReadAllText(Path.Combine(_dir, "again", "metrics.csv")).Split('\n').Select(Accuracies));
        var printed = Run("train", "--config", config, "--lr", "0.02", "--dry-run", "--out", Path.Combine(_dir, "third"));
        Assert.True(printed.Code == 0, printed.Err);
        using var json = JsonDocument.Parse(printed.Out);
        Assert.Equal(0.02, json.RootElement.GetProperty("lr").GetDouble());
        Assert.Equal("5", json.RootElement.GetProperty("seed").GetString());
        Assert.Equal(300, json.RootElement.GetProperty("limit").GetInt32());
        Assert.False(json.RootElement.GetProperty("augment").GetBoolean());
    }

    /// <summary>A metrics.csv row without its timing columns (seconds, images per second), which differ between two runs of the same configuration.</summary>
    private static string Accuracies(string row) => string.Join(',', row.Split(',').Where((_, i) => i is not (6 or 7)));

    /// <summary>A dry run checks as a run does: a bad option, a bad --config key, a folder that holds a run give one line and exit 2.</summary>
    [Fact]
    public void DryRunRefusesWhatTheRunWouldRefuse()
    {
        AssertBadInput(Run(Train("t", "--lr", "0", "--dry-run")), "--lr must be positive");
        AssertBadInput(Run(Fl("f", "--per-round", "5", "--dry-run")), "--per-round must be 1..--clients (4)");
        AssertBadInput(Run(Gossip("g", "--degree", "5", "--dry-run")), "--degree");
        string config = Path.Combine(_dir, "bad.json");
        File.WriteAllText(config, "{ \"per_round\": 2 }");
        AssertBadInput(Run([.. Fl("f"), "--config", config, "--dry-run"]), "per_round");
        AssertBadInput(Run(Fl("f", "--test-files", "a.bin", "--dry-run")), "--test-files applies to cifar10 only");
        AssertBadInput(Run(Train("t", "--config", Path.Combine(_dir, "none.json"), "--dry-run")), "--config: no such file");
        Assert.Equal(0, Run(Train("t")).Code);
        string before = File.ReadAllText(Path.Combine(_dir, "t", "metrics.csv"));
        AssertBadInput(Run([.. Train("t"), "--dry-run"]), "already holds a run");
        Assert.Equal(0, Run([.. Train("t"), "--dry-run", "--force"]).Code);
        Assert.Equal(before, File.ReadAllText(Path.Combine(_dir, "t", "metrics.csv")));
    }

    /// <summary>compare tabulates one train, one fl and one gossip run, one of them interrupted, with kind, model, data, steps and status.</summary>
    [Fact]
    public void CompareTabulatesEveryKindOfRunAndSaysWhichFinished()
    {
        Assert.Equal(0, Run(Fl("fl")).Code);
        Assert.Equal(0, Run(Gossip("gossip", "--stop-after", "1")).Code);
        Assert.Equal(0, Run(Train("train", "--limit", "300")).Code);
        string out_ = Path.Combine(_dir, "cmp");
        var r = Run("compare", Path.Combine(_dir, "fl"), Path.Combine(_dir, "gossip"), Path.Combine(_dir, "train"), "--out", out_, "--target", "0.05");
        Assert.True(r.Code == 0, r.Err);
        var csv = File.ReadAllLines(Path.Combine(out_, "compare.csv"));
        Assert.Equal(4, csv.Length);
        Assert.StartsWith("run,kind,method,model,data,split,steps,status,final t10k,best t10k,total bytes", csv[0], StringComparison.Ordinal);
        Assert.StartsWith("fl,fl,fedavg,smallcnn,fashion-mnist,iid,2/2 rounds,finished,", csv[1], StringComparison.Ordinal);
        Assert.StartsWith("gossip,gossip,sparse-push,smallcnn,fashion-mnist (first 256 images),iid,1/2 epochs,interrupted,", csv[2], StringComparison.Ordinal);
        Assert.StartsWith("train,train,smallcnn,smallcnn,fashion-mnist (first 300 images),,1/1 epochs,finished,", csv[3], StringComparison.Ordinal);
        // The final accuracy is each run's last row's, as RunRecord reads it.
        for (int i = 1; i < 4; i++)
        {
            var record = RunRecord.Read(Path.Combine(_dir, csv[i].Split(',')[0]));
            Assert.Equal((100 * record.Final("t10k")).ToString("F2", CultureInfo.InvariantCulture), csv[i].Split(',')[8]);
        }
        Assert.Contains("| gossip | gossip | sparse-push |", r.Out, StringComparison.Ordinal);
        foreach (var f in new[] { "accuracy-step.svg", "accuracy-bytes.svg", "accuracy-time.svg" })
            Assert.Contains("<svg", File.ReadAllText(Path.Combine(out_, f)), StringComparison.Ordinal);
    }

    /// <summary>
    /// eval --run scores the model each kind of run left: fl's global model and gossip's averaged model equal the
    /// run's last recorded accuracy; gossip's agents are listed one by one; the data root comes from the folder.
    /// </summary>
    [Fact]
    public void EvalOfEveryKindOfRunScoresItsModels()
    {
        Assert.Equal(0, Run(Fl("fl")).Code);
        Assert.Equal(0, Run(Gossip("gossip")).Code);
        Assert.Equal(0, Run(Train("train")).Code);
        string Percent(double a) => a.ToString("P2", CultureInfo.InvariantCulture);

        var fl = Run("eval", "--run", Path.Combine(_dir, "fl"), "--threads", "1");
        Assert.True(fl.Code == 0, fl.Err);
        Assert.Contains("global model after round 2 of 2", fl.Out, StringComparison.Ordinal);
        Assert.Contains($"global model, t10k: accuracy {Percent(RunRecord.Read(Path.Combine(_dir, "fl")).Final("t10k"))} (", fl.Out, StringComparison.Ordinal);

        var gossip = Run("eval", "--run", Path.Combine(_dir, "gossip"), "--threads", "1");
        Assert.True(gossip.Code == 0, gossip.Err);
        var last = File.ReadAllLines(Path.Combine(_dir, "gossip", "metrics.csv"));
        string[] header = last[0].Split(','), row = last[^1].Split(',');
        double averaged = double.Parse(row[Array.IndexOf(header, "t10k_averaged")], CultureInfo.InvariantCulture);
        Assert.Contains($"averaged model, t10k: accuracy {Percent(averaged)} (", gossip.Out, StringComparison.Ordinal);
        Assert.Contains("agent 0, t10k: accuracy", gossip.Out, StringComparison.Ordinal);
        Assert.Contains("agent 1, t10k: accuracy", gossip.Out, StringComparison.Ordinal);
        Assert.Contains("/100)", gossip.Out, StringComparison.Ordinal);

        var train = Run("eval", "--run", Path.Combine(_dir, "train"));
        Assert.True(train.Code == 0, train.Err);
        Assert.Contains("final.safetensors", train.Out, StringComparison.Ordinal);
        Assert.Contains("model, t10k: accuracy", train.Out, StringComparison.Ordinal);

        AssertBadInput(Run("eval", "--run", Path.Combine(_dir, "data")), "is not a run folder");
        AssertBadInput(Run("eval"), "--checkpoint FILE or --run FOLDER");
    }

    /// <summary>fl --stop-after stops a run between rounds with exit code 0; --resume ends it as the uninterrupted run.</summary>
    [Fact]
    public void FlStopsAfterARoundAndResumesToTheUninterruptedRun()
    {
        Assert.Equal(0, Run(Fl("whole")).Code);
        var stopped = Run(Fl("part", "--stop-after", "1"));
        Assert.True(stopped.Code == 0, stopped.Err);
        Assert.Contains("stopped after round 1 of 2", stopped.Out, StringComparison.Ordinal);
        Assert.False(RunRecord.Read(Path.Combine(_dir, "part")).Finished);
        Assert.Equal(0, Run("fl", "--resume", "--out", Path.Combine(_dir, "part"), "--threads", "1").Code);
        Assert.Equal(File.ReadAllText(Path.Combine(_dir, "whole", "metrics.csv")), File.ReadAllText(Path.Combine(_dir, "part", "metrics.csv")));
        AssertBadInput(Run(Fl("bad", "--stop-after", "0")), "--stop-after must be positive");
    }

    /// <summary>A stopped train, fl or gossip run continues with --resume and no --data: each folder records its data root.</summary>
    [Fact]
    public void ResumeFindsTheDataTheRunRecorded()
    {
        Assert.Equal(0, Run(Train("train", "--epochs", "2", "--stop-after", "1")).Code);
        Assert.Equal(0, Run(Fl("fl", "--rounds", "1")).Code);
        Assert.Equal(0, Run(Gossip("gossip", "--stop-after", "1")).Code);
        // The recorded root wins over NANOFED_DATA, which here points nowhere useful.
        string? saved = Environment.GetEnvironmentVariable("NANOFED_DATA");
        Environment.SetEnvironmentVariable("NANOFED_DATA", Path.Combine(_dir, "nowhere"));
        try
        {
            var train = Run("train", "--out", Path.Combine(_dir, "train"), "--resume", "--threads", "1");
            Assert.True(train.Code == 0, train.Err);
            Assert.True(File.Exists(Path.Combine(_dir, "train", "final.safetensors")));
            var fl = Run("fl", "--out", Path.Combine(_dir, "fl"), "--resume", "--rounds", "2", "--threads", "1");
            Assert.True(fl.Code == 0, fl.Err);
            Assert.Equal(3, File.ReadAllLines(Path.Combine(_dir, "fl", "metrics.csv")).Length);
            var gossip = Run("gossip", "--out", Path.Combine(_dir, "gossip"), "--resume", "--threads", "1");
            Assert.True(gossip.Code == 0, gossip.Err);
            Assert.True(RunRecord.Read(Path.Combine(_dir, "gossip")).Finished);
        }
        finally
        {
            Environment.SetEnvironmentVariable("NANOFED_DATA", saved);
        }
    }
}
