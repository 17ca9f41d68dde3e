using System.Diagnostics;
using NanoFed.Nets.Data;
using NanoFed.Nets.Training;
using Xunit;

namespace NanoFed.Tests.Training;

/// <summary>
/// The end-to-end check: the small CNN trained for 2 epochs on all 60,000 Fashion-MNIST training images
/// reaches at least 89% accuracy on the 10,000 test images.
/// </summary>
public class FashionMnistEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "EndToEnd")]
    public void SmallCnnTwoEpochsReaches89Percent()
    {
        string folder = DataPaths.FashionMnist();
        var config = new TrainingConfig
        {
            Model = "smallcnn", Dataset = "fashion-mnist", Epochs = 2, BatchSize = 128, Lr = 0.1, Momentum = 0.9,
            Nesterov = true, WeightDecay = 5e-4, Schedule = "onecycle", Warmup = 0.15, Seed = 0,
        };
        var clock = Stopwatch.StartNew();
        using var trainer = new Trainer(config, FashionMnist.ReadTrain(folder), [("t10k", FashionMnist.ReadTest(folder))]);
        var metrics = trainer.Run(TestContext.Current.CancellationToken).ToList();
        foreach (var m in metrics)
            output.WriteLine($"epoch {m.Epoch}: train loss {m.TrainLoss:F4} acc {m.TrainAccuracy:P2}, test loss {m.Tests[0].Loss:F4} " +
                $"acc {m.Tests[0].Accuracy:P2}, {m.Seconds:F1} s, {m.ImagesPerSecond:F0} images/s");
        output.WriteLine($"total {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(metrics[^1].Tests[0].Accuracy >= 0.89, $"test accuracy {metrics[^1].Tests[0].Accuracy:P2} < 89%");
    }
}
