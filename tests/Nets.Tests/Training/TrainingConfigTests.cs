using NanoFed.Nets.Training;
using Xunit;

namespace NanoFed.Tests.Training;

public class TrainingConfigTests
{
    [Fact]
    public void NormRoundTripsAndIsWrittenOnlyWhenChosen()
    {
        var config = new TrainingConfig { Model = "resnet20b", Norm = "evonorm:4" };
        Assert.Equal("evonorm:4", TrainingConfig.FromJson(config.ToJson()).Norm);
        Assert.DoesNotContain("\"norm\"", new TrainingConfig().ToJson(), StringComparison.Ordinal);
        Assert.Equal("", TrainingConfig.FromJson(new TrainingConfig().ToJson()).Norm);
        config.Norm = "group:5";
        Assert.Contains("--norm: 5 groups do not divide", Assert.Throws<ArgumentException>(config.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonRoundTrips()
    {
        var config = new TrainingConfig
        {
            Model = "vgg11-sp", Dataset = "cifar10", Epochs = 7, BatchSize = 64, Lr = 0.05, Momentum = 0.8, Nesterov = true,
            WeightDecay = 1e-4, Schedule = "cosine", Warmup = 0.1, Seed = ulong.MaxValue, Augment = false, CheckpointEvery = 50, TrainLimit = 1000,
            TrainRange = (40000, 50000),
        };
        var back = TrainingConfig.FromJson(config.ToJson());
        Assert.Equal(config.ToJson(), back.ToJson());
        Assert.Equal(ulong.MaxValue, back.Seed);
        Assert.Equal((40000, 50000), back.TrainRange);
        Assert.Null(TrainingConfig.FromJson(new TrainingConfig().ToJson()).TrainRange);
    }

    /// <summary>config.json and checkpoints written before the run commands shared kebab-case keys still read.</summary>
    [Fact]
    public void SnakeCaseKeysOfEarlierRunsStillRead()
    {
        var config = new TrainingConfig { WeightDecay = 1e-3, CheckpointEvery = 20, TrainRange = (10, 90), TestFiles = "test_batch.bin", Data = "/data" };
        string kebab = config.ToJson();
        foreach (string key in new[] { "\"weight-decay\"", "\"checkpoint-every\"", "\"train-range\"", "\"test-files\"", "\"data\"" })
            Assert.Contains(key, kebab, StringComparison.Ordinal);
        Assert.DoesNotContain("_", kebab.Replace("test_batch", "", StringComparison.Ordinal), StringComparison.Ordinal);
        string snake = kebab.Replace("\"weight-decay\"", "\"weight_decay\"", StringComparison.Ordinal).Replace("\"checkpoint-every\"", "\"checkpoint_every\"", StringComparison.Ordinal)
            .Replace("\"train-range\"", "\"train_range\"", StringComparison.Ordinal).Replace("\"test-files\"", "\"test_files\"", StringComparison.Ordinal)
            .Replace(",\n  \"data\": \"/data\"", "", StringComparison.Ordinal);
        var old = TrainingConfig.FromJson(snake);
        Assert.Equal(config.ToJson().Replace("\"/data\"", "\"\"", StringComparison.Ordinal), old.ToJson());
        Assert.Contains("weight-decay", Assert.Throws<FormatException>(() => TrainingConfig.FromJson(snake.Replace("\"weight_decay\"", "\"decay\"", StringComparison.Ordinal))).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("model", "--model")]
    [InlineData("epochs", "--epochs")]
    [InlineData("schedule", "--schedule")]
    [InlineData("warmup", "--warmup")]
    public void InvalidValuesNameTheirOption(string field, string option)
    {
        var config = new TrainingConfig();
        switch (field)
        {
            case "model": config.Model = "resnet21"; break;
            case "epochs": config.Epochs = 0; break;
            case "schedule": config.Schedule = "step"; break;
            default: config.Warmup = 1.5; break;
        }
        var e = Assert.Throws<ArgumentException>(config.Validate);
        Assert.StartsWith(option, e.Message);
    }

    [Theory]
    [InlineData("onecycle")]
    [InlineData("cosine")]
    [InlineData("multistep")]
    [InlineData("constant")]
    public void SchedulesPeakAtTheLearningRateAndStartBelowIt(string schedule)
    {
        var config = new TrainingConfig { Schedule = schedule, Epochs = 4, Lr = 0.2, Warmup = 0.25 };
        var lr = Trainer.CreateSchedule(config, 10);
        double peak = Enumerable.Range(0, 40).Max(lr.LrAt);
        Assert.Equal(0.2, peak, 1e-9);
        Assert.True(lr.LrAt(0) < 0.2 * 0.5, $"{schedule} starts at {lr.LrAt(0)}");
        Assert.True(lr.LrAt(39) <= 0.2, $"{schedule} ends at {lr.LrAt(39)}");
    }
}
