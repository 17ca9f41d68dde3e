using System.Diagnostics;
using NanoFed.Nets.Checkpoints;
using NanoFed.Nets.Training;
using Xunit;
using static NanoFed.Tests.Cli.ProgramTests;

namespace NanoFed.Tests.Cli;

/// <summary>
/// Bad input found by a hostile-user pass (issue 20), each refused with one line naming the option or file and exit
/// code 2: non-finite numbers, an empty --test-files list, a FIFO as --checkpoint, IDX files with no images or with
/// images of the wrong size.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public class InputValidationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-input-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("train", "--momentum", "nan")]
    [InlineData("train", "--warmup", "nan")]
    [InlineData("train", "--lr", "Infinity")]
    [InlineData("train", "--weight-decay", "-Infinity")]
    [InlineData("fl", "--momentum", "NaN")]
    [InlineData("fl", "--alpha", "Infinity")]
    public void NonFiniteNumberIsRefusedBeforeTheRunFolder(string command, string option, string value)
    {
        SyntheticFashionMnist.Write(_dir);
        string run = Path.Combine(_dir, "run");
        AssertBadInput(Run(command, "--model", "smallcnn", "--data", _dir, option, value, "--out", run), option + " must be a finite number");
        Assert.False(Directory.Exists(run), "the run folder was created");
    }

    [Theory]
    [InlineData("fl", "--dropout", "1.5", "--dropout must be a probability in [0, 1]")]
    [InlineData("fl", "--dropout", "NaN", "--dropout must be a finite number")]
    [InlineData("gossip", "--message-loss", "-0.2", "--message-loss must be a probability in [0, 1]")]
    [InlineData("gossip", "--message-loss", "0.1 --method dpsgd", "--message-loss needs a push-sum method")]
    [InlineData("gossip", "--agents", "1", "--agents must be 2..1024")]
    public void AFaultOutsideItsRangeIsRefusedBeforeTheRunFolder(string command, string option, string value, string error)
    {
        SyntheticFashionMnist.Write(_dir);
        string run = Path.Combine(_dir, "run");
        AssertBadInput(Run([command, "--model", "smallcnn", "--data", _dir, option, .. value.Split(' '), "--out", run]), error);
        Assert.False(Directory.Exists(run), "the run folder was created");
    }

    [Fact]
    public void MomentumNanIsRefusedByTheTrainingConfig()
    {
        var e = Assert.Throws<ArgumentException>(() => new TrainingConfig { Momentum = double.NaN }.Validate());
        Assert.Contains("--momentum", e.Message);
        e = Assert.Throws<ArgumentException>(() => new TrainingConfig { Warmup = double.NaN }.Validate());
        Assert.Contains("--warmup", e.Message);
    }

    [Fact]
    public void TestFilesNamingNoFileAreRefused()
    {
        string checkpoint = Path.Combine(_dir, "c.safetensors");
        var config = new TrainingConfig { Model = "resnet20", Dataset = "cifar10", Epochs = 1 };
        var model = ModelCatalog.Create("resnet20", 0);
        TrainingCheckpoint.Write(checkpoint, config, model, new NanoFed.Nets.Optim.Sgd(model.Parameters(), 0.1, 0.9), 0, 0, 0, (0, 0, 0), []);
        AssertBadInput(Run("eval", "--checkpoint", checkpoint, "--data", _dir, "--test-files", ",,"), "--test-files names no file");
    }

    [Fact]
    public async Task FifoAsCheckpointIsRefusedWithoutHanging()
    {
        string fifo = Path.Combine(_dir, "pipe.safetensors");
        using (var mkfifo = Process.Start("mkfifo", fifo)) await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(File.Exists(fifo), "mkfifo made no FIFO");
        var eval = Task.Run(() => Run("eval", "--checkpoint", fifo, "--data", _dir), TestContext.Current.CancellationToken);
        if (await Task.WhenAny(eval, Task.Delay(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken)) != eval)
        {
            // Release the blocked open by writing into the FIFO, so the test fails instead of hanging the run.
            await using (new FileStream(fifo, FileMode.Open, FileAccess.Write)) { }
            Assert.Fail("eval --checkpoint FIFO still blocked after 60 s");
        }
        AssertBadInput(await eval, "pipe.safetensors: file is empty, or not a regular file");
    }

    [Fact]
    public void ZeroImagesAreRefused()
    {
        SyntheticFashionMnist.Write(_dir, train: 0);
        AssertBadInput(Run("train", "--model", "smallcnn", "--data", _dir, "--out", Path.Combine(_dir, "run")),
            "train-images-idx3-ubyte: holds no images");
    }

    [Fact]
    public void ImagesOfTheWrongSizeAreRefusedNamingTheFile()
    {
        SyntheticFashionMnist.Write(_dir, side: 32);
        AssertBadInput(Run("train", "--model", "smallcnn", "--data", _dir, "--out", Path.Combine(_dir, "run")),
            "train-images-idx3-ubyte: images are 32x32, Fashion-MNIST's are 28x28");
    }
}
