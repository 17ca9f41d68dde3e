using NanoFed.Nets.Training;
using Xunit;

namespace NanoFed.Tests.Training;

public class EpochMetricsTests
{
    private static readonly EpochMetrics[] Sample =
    [
        new(1, 0.1, 1.25, 0.5, [new TestMetrics("head", 1.5, 0.4, 1017), new TestMetrics("jpeg", 1.75, 0.375, 10000)], 12.5, 4000),
        new(2, 1e-7, double.NaN, 0.6, [new TestMetrics("head", double.PositiveInfinity, 0.45, 1017), new TestMetrics("jpeg", 1.5, 0.5, 10000)], 11, 4100.5),
    ];

    [Fact]
    public void JsonRoundTripsIncludingNonFiniteValues()
    {
        var back = EpochMetrics.FromJson(EpochMetrics.ToJson(Sample));
        Assert.Equal(2, back.Count);
        Assert.Equal(Sample[0].Tests, back[0].Tests);
        Assert.True(double.IsNaN(back[1].TrainLoss));
        Assert.Equal(double.PositiveInfinity, back[1].Tests[0].Loss);
        Assert.Equal(Sample[1].Lr, back[1].Lr);
    }

    [Fact]
    public void CsvHasOneColumnPairPerTestSet()
    {
        var lines = EpochMetrics.ToCsv(Sample).TrimEnd('\n').Split('\n');
        Assert.Equal("epoch,lr,train_loss,train_acc,head_loss,head_acc,jpeg_loss,jpeg_acc,seconds,images_per_s", lines[0]);
        Assert.Equal("1,0.1,1.25000,0.50000,1.50000,0.40000,1.75000,0.37500,12.50,4000.0", lines[1]);
        Assert.Equal(3, lines.Length);
    }
}
