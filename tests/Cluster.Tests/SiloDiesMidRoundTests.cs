using NanoFed.Cluster;
using NanoFed.Federation.Experiments;
using Xunit;

namespace NanoFed.Tests.Cluster;

/// <summary>
/// Must-show 2 of issue 21: a silo killed (a hard stop: no deactivation, no goodbye to the cluster) while client turns
/// are in flight on it. The coordinator redoes the lost turns with the same inbox on grains Orleans reactivates on the
/// live silos, and the run ends with the simulation's state, ledger (no row of a lost turn counted twice) and figures.
/// <see cref="TurnHold"/> makes the kill land mid-turn: the silo dies after a turn has started on it and before its
/// reply has left. Own cluster: the kill must not reach the other tests' silos.
/// </summary>
[Collection(nameof(SiloKills))]
public sealed class SiloDiesMidRoundTests(ThreeSilos silos) : IClassFixture<ThreeSilos>
{
    [Fact]
    public Task FedAvgTurnsLostWithAKilledSiloAreRedoneAndTheRunEndsAsTheSimulation() => KillMidRound("fedavg");

    /// <summary>About 20 s, as the FedAvg case: behind the trait so that the untraited cluster tests stay short.</summary>
    [Fact]
    [Trait("Category", "EndToEnd")]
    public Task EcoFedTurnsLostWithAKilledSiloAreRedoneAndTheRunEndsAsTheSimulation() => KillMidRound("ecofed");

    /// <summary>
    /// SplitFed's turns call the server batch by batch: the killed turn's batches already stepped the server's copy of
    /// the client, which the redo must start again from the global back (<c>IRedoableTurns</c>). Behind the trait.
    /// </summary>
    [Fact]
    [Trait("Category", "EndToEnd")]
    public Task SplitFedTurnsLostWithAKilledSiloAreRedoneAndTheRunEndsAsTheSimulation() => KillMidRound("splitfed");

    /// <summary>
    /// FedGKT's turns call the server with their features and logits and keep the server's logits in grain storage,
    /// written before the reply leaves. The silo is killed once a turn there has ended (state written, reply held): the
    /// redo must start from the logits the lost turn started from, on a server that dropped the lost turn's features
    /// and trained copy. Behind the trait.
    /// </summary>
    [Fact]
    [Trait("Category", "EndToEnd")]
    public Task FedGktTurnsLostWithAKilledSiloAreRedoneAndTheRunEndsAsTheSimulation() => KillMidRound("fedgkt", afterATurnEnded: true);

    private async Task KillMidRound(string method, bool afterATurnEnded = false)
    {
        var cancel = TestContext.Current.CancellationToken;
        // Each case kills a silo: the cases after the first get it back.
        while (silos.Cluster.Silos.Count(s => s.IsActive) < ThreeSilos.Silos) await silos.Cluster.StartAdditionalSiloAsync();
        var config = FlCoordinatorTests.Config(method);
        var simulation = FlExperiment.Load(config, silos.DataRoot).Simulation();
        simulation.Run(config.Rounds);

        // Not the first silo: the test cluster's membership lives there.
        var candidates = silos.Cluster.Silos.Skip(1).Where(s => s.IsActive).ToList();
        var hold = TurnHold.Arm(candidates.Select(s => s.SiloAddress));
        using var coordinator = new FlCoordinator(FlExperiment.Load(config, silos.DataRoot), silos.Cluster.Client, $"test-kill-{method}");
        var run = Task.Run(() => coordinator.Runner.Run(config.Rounds), cancel);
        try
        {
            var doomed = await hold.Started.WaitAsync(TimeSpan.FromMinutes(1), cancel);
            if (afterATurnEnded) await hold.Finished.WaitAsync(TimeSpan.FromMinutes(1), cancel);
            await silos.Cluster.KillSiloAsync(candidates.Single(s => s.SiloAddress.Equals(doomed)), cancel);
            Assert.False(run.IsCompleted, "the run ended before the silo was killed: the kill was not mid-round");
        }
        finally
        {
            hold.Release();
        }
        await run;

        Assert.True(coordinator.RedoneTurns >= 1, $"no turn was redone ({hold.Held} held on the killed silo)");
        FlCoordinatorTests.AssertSameRun(simulation, coordinator.Runner);
    }
}
