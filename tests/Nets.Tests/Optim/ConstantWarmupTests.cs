using NanoFed.Nets.Optim;
using Xunit;

namespace NanoFed.Tests.Optim;

/// <summary>Constant warm-up: Sparse-Push's ResNet schedule (0.01 for the first epoch, then 0.1, ×0.1 at 100 and 150).</summary>
public class ConstantWarmupTests
{
    [Fact]
    public void ReducesOnlyTheFirstSteps()
    {
        const int StepsPerEpoch = 3;
        var s = new ConstantWarmup(new MultiStepLr(0.1, [100 * StepsPerEpoch, 150 * StepsPerEpoch]), StepsPerEpoch, 0.1);
        Assert.Equal(0.01, s.LrAt(0), 15);
        Assert.Equal(0.01, s.LrAt(StepsPerEpoch - 1), 15);
        Assert.Equal(0.1, s.LrAt(StepsPerEpoch), 15);
        Assert.Equal(0.01, s.LrAt(100 * StepsPerEpoch), 15);
        Assert.Equal(0.001, s.LrAt(150 * StepsPerEpoch), 15);
    }
}
