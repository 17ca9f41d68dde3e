using NanoFed.Cluster;
using NanoFed.Federation.Experiments;
using Orleans;
using Orleans.Runtime;
using Xunit;

namespace NanoFed.Tests.Cluster;

/// <summary>
/// Client grains hold no model and may deactivate between rounds: what a client keeps from one turn to the next
/// (FedGKT's server logits) goes to grain storage and comes back in the client built for its next turn. After every
/// round of a FedGKT run on three silos every client grain is deactivated, and the run still ends as the simulation,
/// whose clients keep their logits in memory all along; without the storage a client sampled again would train
/// without its logits and the run would differ.
/// </summary>
public sealed class GrainStateTests(ThreeSilos silos) : IClassFixture<ThreeSilos>
{
    /// <summary>About 30 s (FedGKT's turns call the server batch by batch, one client after another): behind the trait.</summary>
    [Fact]
    [Trait("Category", "EndToEnd")]
    public async Task FedGktClientsDeactivatedAfterEveryRoundKeepTheirLogitsAndTheRunEndsAsTheSimulation()
    {
        var cancel = TestContext.Current.CancellationToken;
        var config = FlCoordinatorTests.Config("fedgkt");
        var simulation = FlExperiment.Load(config, silos.DataRoot).Simulation();
        simulation.Run(config.Rounds);

        var management = silos.Cluster.Client.GetGrain<IManagementGrain>(0);
        using var coordinator = new FlCoordinator(FlExperiment.Load(config, silos.DataRoot), silos.Cluster.Client, "test-state");
        for (int round = 0; round < config.Rounds; round++)
        {
            await Task.Run(() => coordinator.Runner.Run(1), cancel);
            Assert.NotEmpty(await silos.Hosting(nameof(FlClientGrain)));
            await management.ForceActivationCollection(TimeSpan.Zero, cancel);
            Assert.Empty(await silos.Hosting(nameof(FlClientGrain)));
        }

        var sampledTwice = simulation.History.SelectMany(m => m.Clients).GroupBy(c => c).Count(g => g.Count() > 1);
        Assert.True(sampledTwice > 0, "no client was sampled twice: nothing was kept from one turn to the next");
        FlCoordinatorTests.AssertSameRun(simulation, coordinator.Runner);
    }
}
