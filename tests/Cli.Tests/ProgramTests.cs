using NanoFed.Cli;
using NanoFed.Nets.Checkpoints;
using Xunit;

namespace NanoFed.Tests.Cli;

/// <summary>
/// The command line in-process: bad input gives one line on stderr naming the option or file and exit code 2;
/// a tiny Fashion-MNIST run writes its folder, resumes to the same final weights, and evaluates.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public class ProgramTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            int code = Program.Main(args);
            return (code, o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }

    internal static void AssertBadInput((int Code, string Out, string Err) r, string mention)
    {
        Assert.Equal(Program.BadInput, r.Code);
        string line = Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(mention, line);
        Assert.DoesNotContain("   at ", r.Err);
    }

    [Fact]
    public void UnknownModelIsBadInput() => AssertBadInput(Run("train", "--model", "resnet99", "--data", "/"), "--model");

    [Fact]
    public void MissingDataFolderIsBadInput() => AssertBadInput(Run("train", "--data", Path.Combine(Path.GetTempPath(), "no-such-nanofed-dir")), "--data");

    [Fact]
    public void UnparsableOptionIsBadInput() => AssertBadInput(Run("train", "--epochs", "many"), "--epochs: 'many' is not an integer");

    [Fact]
    public void UnparsableNumberNamesTheOptionNotADotNetType()
    {
        var r = Run("gossip", "--lr", "fast");
        AssertBadInput(r, "--lr: 'fast' is not a number");
        Assert.DoesNotContain("System.", r.Err);
    }

    [Theory]
    [InlineData("--alpha")]
    [InlineData("--update-tracking")]
    public void UnparsableOptionalNumberSaysANumberIsNeeded(string option) =>
        AssertBadInput(Run("gossip", option, "abc"), $"{option}: 'abc' is not a number");

    [Fact]
    public void ADivergingTrainingRunStopsWithOneLineAndNoFinalCheckpoint()
    {
        SyntheticFashionMnist.Write(_dir);
        string run = Path.Combine(_dir, "diverge");
        var r = Run("train", "--model", "smallcnn", "--data", _dir, "--batch", "64", "--epochs", "2", "--lr", "1e6", "--out", run);
        Assert.Equal(Program.Diverged, r.Code);
        string line = Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("diverged"));
        Assert.Contains(run, line);
        Assert.Matches("epoch 1, batch [0-9]+ of [0-9]+", line);
        Assert.False(File.Exists(Path.Combine(run, "final.safetensors")));
    }

    [Theory]
    [InlineData("conv", float.NaN)]
    [InlineData("fc", float.NegativeInfinity)]
    public void APoisonedCheckpointIsRefusedByEvalAndByResume(string tensor, float poison)
    {
        SyntheticFashionMnist.Write(_dir);
        string run = Path.Combine(_dir, "poisoned");
        Assert.Equal(0, Run("train", "--model", "smallcnn", "--data", _dir, "--batch", "64", "--epochs", "2", "--stop-after", "1", "--out", run).Code);
        string last = Path.Combine(run, "last.safetensors");
        string name = Poison(last, tensor, poison);
        AssertBadInput(Run("eval", "--checkpoint", last, "--data", _dir), name);
        AssertBadInput(Run("train", "--out", run, "--data", _dir, "--resume"), name);
    }

    /// <summary>
    /// Writes <paramref name="poison"/> into the second value of the first (by name) float tensor of a checkpoint whose
    /// name contains <paramref name="contains"/>; returns that tensor's name, which a refusal must give.
    /// </summary>
    internal static string Poison(string checkpoint, string contains, float poison)
    {
        var (tensors, metadata) = SafeTensors.ReadRaw(checkpoint);
        string name = tensors.Keys.Order(StringComparer.Ordinal).First(n => n.Contains(contains, StringComparison.Ordinal) && tensors[n].DType == SafeTensorDType.F32);
        var data = (byte[])tensors[name].Data.Clone();
        BitConverter.TryWriteBytes(data.AsSpan(4), poison);
        tensors[name] = new SafeTensor(name, SafeTensorDType.F32, tensors[name].Shape, data);
        SafeTensors.WriteRaw(checkpoint, tensors.Values, metadata);
        return name;
    }

    [Fact]
    public void BareCommandPrintsTheHelp()
    {
        var r = Run();
        Assert.Equal(0, r.Code);
        Assert.Contains("Commands:", r.Out);
        Assert.Contains("data", r.Out);
        Assert.Empty(r.Err);
    }

    [Theory]
    [InlineData(0.1, "0.1")]
    [InlineData(0.0125, "0.0125")]
    [InlineData(0.001, "0.001")]
    [InlineData(4e-7, "4e-07")]
    [InlineData(1.25e-5, "1.25e-05")]
    [InlineData(0.0, "0")]
    public void LearningRatesPrintWithoutDotNetsExponentForm(double lr, string text) => Assert.Equal(text, Format.Lr(lr));

    [Theory]
    [InlineData("train", "layer", "unknown normalization 'layer'")]
    [InlineData("gossip", "group:3", "3 groups do not divide the 16-channel layers")]
    [InlineData("fl", "evonorm:0", "must be a positive integer")]
    public void BadNormIsBadInputInEveryCommandThatBuildsModels(string command, string norm, string mention)
    {
        var model = command == "fl" ? "vgg11-sp" : "resnet20";
        var r = Run(command, "--model", model, "--norm", norm, "--data", "/");
        AssertBadInput(r, "--norm: ");
        Assert.Contains(mention, r.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10", "--train-range")]
    [InlineData("a:b", "--train-range")]
    [InlineData("-1:5", "--train-range")]
    [InlineData("50:50", "--train-range")]
    [InlineData("40:30", "--train-range")]
    [InlineData("500:601", "reaches past the 600 training images")]
    public void BadTrainRangeIsBadInput(string range, string mention)
    {
        SyntheticFashionMnist.Write(_dir);
        AssertBadInput(Run("train", "--model", "smallcnn", "--data", _dir, "--train-range", range, "--out", Path.Combine(_dir, "run")), mention);
    }

    [Fact]
    public void TrainRangeSelectsItsImagesAndIsRecorded()
    {
        SyntheticFashionMnist.Write(_dir);
        string[] common = ["train", "--model", "smallcnn", "--data", _dir, "--batch", "64", "--epochs", "1", "--seed", "3"];
        string ranged = Path.Combine(_dir, "ranged"), other = Path.Combine(_dir, "other");
        var r = Run([.. common, "--train-range", "300:428", "--out", ranged]);
        Assert.Equal(0, r.Code);
        Assert.Contains("128 training images", r.Err);
        Assert.Contains("\"train-range\": \"300:428\"", File.ReadAllText(Path.Combine(ranged, "config.json")));

        // Other images give other weights: the range really chose images 300..427, not the first 128.
        Assert.Equal(0, Run([.. common, "--limit", "128", "--out", other]).Code);
        var a = SafeTensors.ReadRaw(Path.Combine(ranged, "final.safetensors")).Tensors;
        var b = SafeTensors.ReadRaw(Path.Combine(other, "final.safetensors")).Tensors;
        Assert.Contains(a.Keys, k => !a[k].Data.AsSpan().SequenceEqual(b[k].Data));
    }

    [Fact]
    public void TruncatedCifarFileIsBadInput()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "cifar-10-batches-bin")).FullName;
        for (int i = 1; i <= 5; i++) File.WriteAllBytes(Path.Combine(folder, $"data_batch_{i}.bin"), new byte[3073 * 2]);
        File.WriteAllBytes(Path.Combine(folder, "data_batch_3.bin"), new byte[3073 + 100]);
        AssertBadInput(Run("train", "--model", "resnet20", "--data", _dir, "--out", Path.Combine(_dir, "run")), "data_batch_3.bin");
    }

    [Fact]
    public void MalformedCheckpointIsBadInput()
    {
        string path = Path.Combine(_dir, "bad.safetensors");
        File.WriteAllBytes(path, [8, 0, 0, 0, 0, 0, 0, 0, (byte)'{']);
        AssertBadInput(Run("eval", "--checkpoint", path, "--data", _dir), "bad.safetensors");
        SafeTensors.Write(path, [("x", Tensor.Zeros(new Shape(1)))]);
        AssertBadInput(Run("eval", "--checkpoint", path, "--data", _dir), "not a NanoFed training checkpoint");
    }

    [Fact]
    public void TinyRunWritesItsFolderResumesAndEvaluates()
    {
        string data = FashionMnistRoot();
        string whole = Path.Combine(_dir, "whole"), parts = Path.Combine(_dir, "parts");
        string[] common = ["train", "--model", "smallcnn", "--data", data, "--limit", "256", "--batch", "64", "--seed", "5"];
        Assert.Equal(0, Run([.. common, "--epochs", "2", "--out", whole]).Code);
        foreach (var f in new[] { "config.json", "metrics.csv", "metrics.json", "plot.svg", "last.safetensors", "final.safetensors" })
            Assert.True(File.Exists(Path.Combine(whole, f)), f);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(whole, "metrics.csv")).Length);
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(whole, "plot.svg")));

        // Interrupted after epoch 1 (--stop-after 1), then --resume: the final weights equal the uninterrupted run's.
        Assert.Equal(0, Run([.. common, "--epochs", "2", "--stop-after", "1", "--out", parts]).Code);
        Assert.False(File.Exists(Path.Combine(parts, "final.safetensors")));
        Assert.Equal(0, Run("train", "--out", parts, "--data", data, "--resume").Code);
        var first = SafeTensors.ReadRaw(Path.Combine(whole, "final.safetensors")).Tensors;
        var second = SafeTensors.ReadRaw(Path.Combine(parts, "final.safetensors")).Tensors;
        Assert.Equal(first.Keys.Order(), second.Keys.Order());
        foreach (var (name, t) in first)
            Assert.True(t.Data.AsSpan().SequenceEqual(second[name].Data), name);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(parts, "metrics.csv")).Length);

        var eval = Run("eval", "--checkpoint", Path.Combine(whole, "final.safetensors"), "--data", data);
        Assert.Equal(0, eval.Code);
        Assert.Contains("t10k: accuracy", eval.Out);
    }

    internal static string FashionMnistRoot()
    {
        const string Debian = "/usr/share/datasets";
        string? env = Environment.GetEnvironmentVariable("NANOFED_DATA");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(Path.Combine(env, "fashion-mnist"))) return env;
        Assert.SkipUnless(File.Exists(Path.Combine(Debian, "fashion-mnist", "t10k-labels-idx1-ubyte.gz")),
            "Fashion-MNIST not found in NANOFED_DATA/fashion-mnist or /usr/share/datasets/fashion-mnist");
        return Debian;
    }
}

/// <summary>Tests that redirect the process-wide console run one at a time.</summary>
[CollectionDefinition(nameof(ConsoleCollection), DisableParallelization = true)]
public sealed class ConsoleCollection;
