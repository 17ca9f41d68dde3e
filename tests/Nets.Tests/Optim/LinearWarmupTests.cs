using NanoFed.Nets.Optim;
using Xunit;

namespace NanoFed.Tests.Optim;

/// <summary>Linear warm-up: over a constant rate it is LinearLR(start_factor, total_iters); over another schedule it multiplies.</summary>
public class LinearWarmupTests
{
    [Fact]
    public void MatchesPyTorchLinearLr() => ScheduleFixture.Check("warmup", new LinearWarmup(new ConstantLr(0.1), 5, 0.1).LrAt);

    [Fact]
    public void ScalesTheInnerSchedule()
    {
        var inner = new CosineLr(0.1, 10);
        var s = new LinearWarmup(inner, 4, 0.25);
        Assert.Equal(inner.LrAt(0) * 0.25, s.LrAt(0), 15);
        Assert.Equal(inner.LrAt(2) * 0.625, s.LrAt(2), 15);
        Assert.Equal(inner.LrAt(7), s.LrAt(7), 15);
    }
}
