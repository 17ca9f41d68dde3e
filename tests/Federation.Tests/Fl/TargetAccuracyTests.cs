using NanoFed.Federation.Fl;
using NanoFed.Nets.Training;
using Xunit;

namespace NanoFed.Tests;

public class TargetAccuracyTests
{
    private static List<FlRoundMetrics> Rounds(params double[] accuracies) =>
        accuracies.Select((a, i) => new FlRoundMetrics(i + 1, [0, 1], a, 1, 10, 10L * (i + 1), 2, 2.0 * (i + 1), [new TestMetrics("t", 1, a, 5)])).ToList();

    [Fact]
    public void FirstReachingIsTheFirstRoundAtOrAboveTheTarget()
    {
        var rounds = Rounds(0.1, 0.4, 0.3, 0.5);
        Assert.Equal(2, TargetAccuracy.FirstReaching(rounds, 0.4)!.Round);
        Assert.Equal(4, TargetAccuracy.FirstReaching(rounds, 0.45)!.Round);
        Assert.Null(TargetAccuracy.FirstReaching(rounds, 0.6));
        Assert.Equal(0.5, TargetAccuracy.Best(rounds));
        Assert.True(double.IsNaN(TargetAccuracy.Best([])));
        Assert.Equal(40.0 / 8, TargetAccuracy.BytesPerClientRound(rounds));
    }
}
