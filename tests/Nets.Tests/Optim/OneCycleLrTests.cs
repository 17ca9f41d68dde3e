using NanoFed.Nets.Optim;
using Xunit;

namespace NanoFed.Tests.Optim;

/// <summary>OneCycleLR (two phases) with cosine and linear annealing: learning rate and momentum.</summary>
public class OneCycleLrTests
{
    [Fact]
    public void CosineMatchesPyTorch()
    {
        var s = new OneCycleLr(0.1, 20, 0.3);
        ScheduleFixture.Check("onecycle", s.LrAt);
        ScheduleFixture.Check("onecycle.momentum", s.MomentumAt);
        Assert.Equal(0.1 / 25, s.LrAt(0), 12);
    }

    [Fact]
    public void LinearMatchesPyTorch()
    {
        var s = new OneCycleLr(0.2, 17, 0.25, linear: true);
        ScheduleFixture.Check("onecycle_linear", s.LrAt);
        ScheduleFixture.Check("onecycle_linear.momentum", s.MomentumAt);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.LrAt(18));
    }
}
