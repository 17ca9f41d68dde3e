using NanoFed.Nets.Optim;
using Xunit;

namespace NanoFed.Tests.Optim;

/// <summary>Learning-rate sequences against torch.optim.lr_scheduler (tests/fixtures/gen/gen_models.py).</summary>
public class SchedulesTests
{
    private static readonly Fixture Fx = Fixture.Load("schedules");

    [Fact]
    public void MultiStep() => Check("multistep", new MultiStepLr(0.1, [3, 6, 6], 0.1));

    [Fact]
    public void Cosine() => Check("cosine", new CosineLr(0.1, 10, 0.001));

    [Fact]
    public void OneCycleCosine()
    {
        var s = new OneCycleLr(0.1, 20, 0.3);
        Check("onecycle", s);
        Check("onecycle.momentum", s.MomentumAt);
    }

    [Fact]
    public void OneCycleLinear()
    {
        var s = new OneCycleLr(0.2, 17, 0.25, linear: true);
        Check("onecycle_linear", s);
        Check("onecycle_linear.momentum", s.MomentumAt);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.LrAt(18));
    }

    [Fact]
    public void Warmup() => Check("warmup", new LinearWarmup(new ConstantLr(0.1), 5, 0.1));

    private static void Check(string name, ILrSchedule schedule) => Check(name, schedule.LrAt);

    private static void Check(string name, Func<int, double> at)
    {
        float[] expected = Fx.Values(name);
        float[] actual = Enumerable.Range(0, expected.Length).Select(t => (float)at(t)).ToArray();
        Close.Assert(expected, actual, name);
    }
}
