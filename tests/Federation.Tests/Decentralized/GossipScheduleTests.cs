using NanoFed.Federation.Decentralized;
using NanoFed.Nets.Data;
using NanoFed.Nets.Modules;
using NanoFed.Nets.Optim;
using Xunit;

namespace NanoFed.Tests.Federation;

public class GossipScheduleTests
{
    [Fact]
    public void MultistepIsTheRunsFormerScheduleStepForStep()
    {
        var s = GossipSchedule.Create("multistep", 0.1, [3, 5], 1, 6, 7);
        var former = new ConstantWarmup(new MultiStepLr(0.1, new[] { 3 * 7, 5 * 7 }), 7, 0.1);
        for (int step = 0; step < 6 * 7 + 3; step++) Assert.Equal(former.LrAt(step), s.LrAt(step));
    }

    [Fact]
    public void CosineStartsAtATenthForTheWarmupThenFollowsTheHalfCosineToZero()
    {
        var s = GossipSchedule.Create("cosine", 0.1, [], 1, 10, 20);
        Assert.Equal(0.01, s.LrAt(0), 12);
        Assert.Equal(0.1 * 0.1 * (1 + Math.Cos(Math.PI * 19 / 200)) / 2, s.LrAt(19), 12); // the warm-up scales the cosine by 1/10
        Assert.Equal(0.1 * (1 + Math.Cos(Math.PI * 20 / 200)) / 2, s.LrAt(20), 12);
        Assert.Equal(0.05, s.LrAt(100), 12);
        Assert.True(s.LrAt(199) < 1e-4);
        for (int step = 21; step < 200; step++) Assert.True(s.LrAt(step) <= s.LrAt(step - 1));
    }

    [Fact]
    public void OneCycleRisesOverTheWarmupEpochsToThePeakThenFalls()
    {
        var s = GossipSchedule.Create("onecycle", 0.1, [], 2, 10, 20);
        Assert.Equal(0.1 / 25, s.LrAt(0), 12);
        Assert.Equal(0.1, s.LrAt(39), 12); // PyTorch's phase boundary: pct_start · total − 1
        Assert.True(s.LrAt(20) > s.LrAt(0) && s.LrAt(20) < 0.1);
        Assert.True(s.LrAt(199) < 1e-4);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AgentPassesNesterovToItsOptimizer(bool nesterov)
    {
        var rng = new RngStream(5, 0);
        var model = new Sequential(("flatten", new Flatten()), ("fc", new Linear(4, 10, rng)));
        var data = new ImageDataset(new byte[16 * 4], Enumerable.Range(0, 16).Select(i => i % 10).ToArray(), 1, 2, 2, 10);
        using var agent = new Agent(0, model, data, 8, 0.1, 5, Normalization.Identity(1), nesterov: nesterov);
        Assert.Equal(nesterov, agent.Optimizer.Nesterov);
    }

    [Fact]
    public void UnknownScheduleNamesTheOption()
    {
        var e = Assert.Throws<ArgumentException>(() => GossipSchedule.Create("step", 0.1, [], 1, 10, 20));
        Assert.Contains("--schedule", e.Message, StringComparison.Ordinal);
    }
}
