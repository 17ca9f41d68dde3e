using Xunit;
using static NanoFed.Tests.Cli.ProgramTests;

namespace NanoFed.Tests.Cli;

/// <summary>`nanofed gossip --tune-gamma`: the consensus-step sweep on vectors of the model's size, without data.</summary>
[Collection(nameof(ConsoleCollection))]
public class GossipTuningTests
{
    [Fact]
    public void SweepPrintsOneLinePerGammaAndTheBest()
    {
        var r = Run("gossip", "--method", "sparse-push", "--agents", "4", "--graph", "ring", "--model", "smallcnn", "--keep", "0.1",
            "--tune-gamma", "1,0.05", "--tune-iterations", "20", "--seed", "2");
        Assert.Equal(0, r.Code);
        Assert.Contains("d = ", r.Out, StringComparison.Ordinal);
        Assert.Matches("gamma 1 .*e\\(T\\)/e\\(0\\) = ", r.Out);
        Assert.Matches("gamma 0.05 .*e\\(T\\)/e\\(0\\) = ", r.Out);
        Assert.Matches("best gamma: (1|0.05) ", r.Out);
    }

    [Fact]
    public void BidirectionalRingIsAGraphName()
    {
        var r = Run("gossip", "--method", "sparse-push", "--agents", "4", "--graph", "bidirectional-ring", "--model", "smallcnn", "--keep", "0.1",
            "--tune-gamma", "0.05", "--tune-iterations", "5");
        Assert.Equal(0, r.Code);
        Assert.Contains("over bidirectional-ring", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void QuasiGlobalMomentumIsSimulatedAndNamed()
    {
        string[] options = ["gossip", "--method", "sparse-push", "--agents", "4", "--graph", "ring", "--model", "smallcnn", "--keep", "0.1", "--tune-gamma", "0.2", "--tune-iterations", "20"];
        var plain = Run(options);
        var momentum = Run([.. options, "--quasi-global-momentum"]);
        Assert.Equal(0, momentum.Code);
        Assert.Contains("quasi-global momentum 0.9)", momentum.Out, StringComparison.Ordinal);
        string Line(string output) => output.Split('\n').Single(l => l.StartsWith("gamma 0.2", StringComparison.Ordinal));
        Assert.NotEqual(Line(plain.Out), Line(momentum.Out));
    }

    [Fact]
    public void UpdateTrackingIsSimulatedWithTheRunsMomentumAndNamed()
    {
        string[] options = ["gossip", "--method", "sparse-push", "--agents", "4", "--graph", "ring", "--model", "smallcnn", "--keep", "0.1", "--tune-gamma", "0.2", "--tune-iterations", "20"];
        var plain = Run(options);
        var tracking = Run([.. options, "--update-tracking", "0.5", "--nesterov"]);
        Assert.Equal(0, tracking.Code);
        Assert.Contains("Nesterov local momentum 0.9, update tracking 0.5)", tracking.Out, StringComparison.Ordinal);
        string Line(string output) => output.Split('\n').Single(l => l.StartsWith("gamma 0.2", StringComparison.Ordinal));
        Assert.NotEqual(Line(plain.Out), Line(tracking.Out));
    }

    [Fact]
    public void MethodWithoutAConsensusStepIsBadInput() =>
        AssertBadInput(Run("gossip", "--method", "sgp", "--model", "smallcnn", "--tune-gamma"), "--tune-gamma");

    [Fact]
    public void GammaOutsideTheUnitIntervalIsBadInput() =>
        AssertBadInput(Run("gossip", "--method", "sparse-push", "--model", "smallcnn", "--tune-gamma", "0.1,2"), "--tune-gamma");

    [Fact]
    public void NonPositiveIterationsAreBadInput() =>
        AssertBadInput(Run("gossip", "--method", "sparse-push", "--model", "smallcnn", "--tune-gamma", "0.1", "--tune-iterations", "0"), "--tune-iterations");
}
