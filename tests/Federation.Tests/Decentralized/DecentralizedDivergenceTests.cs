using NanoFed.Federation.Gossip;
using NanoFed.Nets.Optim;
using NanoFed.Nets.Training;
using Xunit;

namespace NanoFed.Tests.Decentralized;

/// <summary>A diverging gossip run stops at the iteration that made an agent's state non-finite, naming the agent.</summary>
[Collection(nameof(WorkerCountCollection))]
public class DecentralizedDivergenceTests
{
    [Fact]
    public void ANonFiniteAgentStopsTheEpochWithOneLineNamingIt()
    {
        var runner = DecentralizedRunnerStateTests.Runner(static (t, _) => new PushSum(t), schedule: new ConstantLr(1e30));
        var e = Assert.Throws<DivergenceException>(() => runner.RunEpoch());
        Assert.Matches(@"^diverged at epoch 1, iteration [0-9]+ of [0-9]+ \(iteration [0-9]+ of the run\): agent [0-9]+: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(0, runner.CompletedEpochs);
        Assert.Empty(runner.History);
    }

    [Fact]
    public void AHealthyRunIsNotStopped()
    {
        var runner = DecentralizedRunnerStateTests.Runner(static (t, _) => new PushSum(t));
        runner.RunEpoch();
        Assert.Equal(1, runner.CompletedEpochs);
    }
}
