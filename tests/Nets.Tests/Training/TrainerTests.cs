using NanoFed.Nets;
using NanoFed.Nets.Checkpoints;
using NanoFed.Nets.Data;
using NanoFed.Nets.Training;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests.Training;

/// <summary>
/// Small runs of the trainer on the first images of Fashion-MNIST: a run interrupted at an epoch end or mid-epoch
/// and resumed from its checkpoint ends with the weights of an uninterrupted run, bit for bit; one and two worker
/// threads give the same metrics; checkpoints carry PyTorch's names and dtypes.
/// </summary>
[Collection(nameof(AllocationCollection))]
public class TrainerTests
{
    private static readonly Lazy<(ImageDataset Train, ImageDataset Test)> Data = new(() =>
    {
        string folder = DataPaths.FashionMnist();
        var train = FashionMnist.ReadTrain(folder);
        var test = FashionMnist.ReadTest(folder);
        return (train.Subset(Enumerable.Range(0, 512).ToArray()), test.Subset(Enumerable.Range(0, 256).ToArray()));
    });

    private static TrainingConfig Tiny(int epochs = 3) => new()
    {
        Model = "smallcnn", Dataset = "fashion-mnist", Epochs = epochs, BatchSize = 64, Lr = 0.05, Momentum = 0.9,
        Nesterov = true, WeightDecay = 5e-4, Schedule = "onecycle", Warmup = 0.2, Seed = 7,
    };

    private static Trainer Create(TrainingConfig config) => new(config, Data.Value.Train, [("test", Data.Value.Test)]);

    [Fact]
    public void ResumedAfterEpochOneEqualsUninterruptedBitForBit()
    {
        using var dir = new TempDir();
        string checkpoint = dir.File("last.safetensors");
        using var whole = Create(Tiny());
        var wholeMetrics = whole.Run(TestContext.Current.CancellationToken).ToList();

        using (var first = Create(Tiny()))
        {
            first.CheckpointPath = checkpoint;
            first.RunEpoch(TestContext.Current.CancellationToken);
        }
        using var resumed = Trainer.Resume(checkpoint, Data.Value.Train, [("test", Data.Value.Test)]);
        Assert.Equal(1, resumed.CompletedEpochs);
        var rest = resumed.Run(TestContext.Current.CancellationToken).ToList();

        AssertSameState(whole, resumed);
        Assert.Equal(3, resumed.History.Count);
        for (int e = 0; e < 3; e++)
        {
            Assert.Equal(wholeMetrics[e].TrainLoss, resumed.History[e].TrainLoss);
            Assert.Equal(wholeMetrics[e].Tests[0].Accuracy, resumed.History[e].Tests[0].Accuracy);
        }
    }

    [Fact]
    public void ResumedMidEpochEqualsUninterruptedBitForBit()
    {
        using var dir = new TempDir();
        string checkpoint = dir.File("last.safetensors");
        var config = Tiny(2);
        config.CheckpointEvery = 3;
        using var whole = Create(config);
        var wholeMetrics = whole.Run(TestContext.Current.CancellationToken).ToList();

        using (var first = Create(config))
        using (var stop = new CancellationTokenSource())
        {
            first.CheckpointPath = checkpoint;
            first.StepCompleted = p => { if (first.GlobalStep == 12) stop.Cancel(); };
            Assert.Throws<OperationCanceledException>(() => first.Run(stop.Token).ToList());
        }
        var saved = TrainingCheckpoint.Read(checkpoint);
        Assert.Equal((1, 4, 12L), (saved.Epoch, saved.Batch, saved.GlobalStep));

        using var resumed = Trainer.Resume(checkpoint, Data.Value.Train, [("test", Data.Value.Test)]);
        resumed.Run(TestContext.Current.CancellationToken).ToList();
        AssertSameState(whole, resumed);
        Assert.Equal(wholeMetrics[1].TrainLoss, resumed.History[1].TrainLoss);
        Assert.Equal(wholeMetrics[1].TrainAccuracy, resumed.History[1].TrainAccuracy);
    }

    [Fact]
    public void OneAndTwoThreadsGiveIdenticalMetrics()
    {
        int saved = Workers.Count;
        try
        {
            var runs = new List<List<EpochMetrics>>();
            foreach (int threads in new[] { 1, 2 })
            {
                Workers.Count = threads;
                using var trainer = Create(Tiny(2));
                runs.Add(trainer.Run(TestContext.Current.CancellationToken).ToList());
            }
            for (int e = 0; e < 2; e++)
            {
                Assert.Equal(runs[0][e].TrainLoss, runs[1][e].TrainLoss);
                Assert.Equal(runs[0][e].TrainAccuracy, runs[1][e].TrainAccuracy);
                Assert.Equal(runs[0][e].Tests[0].Loss, runs[1][e].Tests[0].Loss);
                Assert.Equal(runs[0][e].Tests[0].Accuracy, runs[1][e].Tests[0].Accuracy);
            }
        }
        finally
        {
            Workers.Count = saved;
        }
    }

    [Fact]
    public void CheckpointHoldsPyTorchNamesAndDtypes()
    {
        using var dir = new TempDir();
        var config = new TrainingConfig { Model = "resnet20", Dataset = "cifar10", Epochs = 1, Seed = 3 };
        var model = ModelCatalog.Create("resnet20", 3);
        var sgd = new NanoFed.Nets.Optim.Sgd(model.Parameters(), 0.1, 0.9);
        TrainingCheckpoint.Write(dir.File("c.safetensors"), config, model, sgd, 0, 0, 0, (0, 0, 0), []);
        var (raw, metadata) = SafeTensors.ReadRaw(dir.File("c.safetensors"));
        Assert.Equal(SafeTensorDType.I64, raw["bn1.num_batches_tracked"].DType);
        Assert.Empty(raw["bn1.num_batches_tracked"].Shape);
        Assert.Equal(SafeTensorDType.F32, raw["layer3.2.conv2.weight"].DType);
        Assert.Equal(new[] { 10, 64 }, raw["linear.weight"].Shape);
        Assert.Equal("resnet20", TrainingConfig.FromJson(metadata["config"]).Model);
        var back = TrainingCheckpoint.Read(dir.File("c.safetensors"));
        Assert.Equal(model.StateDict().Count, back.ModelState.Count);
    }

    [Fact]
    public void MalformedCheckpointsRaiseOneLineDataFormatErrors()
    {
        using var dir = new TempDir();
        string path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        var e = Assert.Throws<DataFormatException>(() => TrainingCheckpoint.Read(path));
        Assert.DoesNotContain('\n', e.Message);

        SafeTensors.Write(path, [("x", Tensor.Zeros(new Shape(2)))]);
        e = Assert.Throws<DataFormatException>(() => TrainingCheckpoint.Read(path));
        Assert.Contains("not a NanoFed training checkpoint", e.Message);
    }

    private static void AssertSameState(Trainer expected, Trainer actual)
    {
        Assert.Equal(expected.GlobalStep, actual.GlobalStep);
        var a = expected.Model.StateDict();
        var b = actual.Model.StateDict();
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Name, b[i].Name);
            Assert.True(a[i].Value.Span.SequenceEqual(b[i].Value.Span), $"{a[i].Name} differs");
        }
        for (int i = 0; i < expected.Optimizer.Parameters.Count; i++)
            Assert.True(expected.Optimizer.MomentumBuffer(i)!.Span.SequenceEqual(actual.Optimizer.MomentumBuffer(i)!.Span), $"momentum {i} differs");
    }
}
