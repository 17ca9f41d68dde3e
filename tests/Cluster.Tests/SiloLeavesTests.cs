using NanoFed.Cluster;
using NanoFed.Federation.Experiments;
using Xunit;

namespace NanoFed.Tests.Cluster;

/// <summary>
/// A silo that leaves the cluster between two rounds (a semi-graceful stop, so Orleans deactivates its grains): the
/// clients it hosted are reactivated on the other silos, rebuilt there from the configuration and their silo's data,
/// and the run ends as the simulation does. Own cluster: the stop must not reach the other tests' silos.
/// </summary>
public sealed class SiloLeavesTests(ThreeSilos silos) : IClassFixture<ThreeSilos>
{
    [Fact]
    public async Task ClientsOfASiloThatLeavesBetweenRoundsMoveAndTheRunEndsAsTheSimulation()
    {
        var config = FlCoordinatorTests.Config("fedavg");
        var simulation = FlExperiment.Load(config, silos.DataRoot).Simulation();
        simulation.Run(config.Rounds);

        using var coordinator = new FlCoordinator(FlExperiment.Load(config, silos.DataRoot), silos.Cluster.Client, "test-leave");
        await Task.Run(() => coordinator.Runner.Run(1), TestContext.Current.CancellationToken);
        var before = await silos.Hosting(nameof(FlClientGrain));
        // Not the first silo: the test cluster's membership lives there.
        var leaving = silos.Cluster.Silos.Skip(1).First(s => before.Contains(s.SiloAddress));
        await silos.Cluster.StopSiloAsync(leaving, TestContext.Current.CancellationToken);
        await Task.Run(() => coordinator.Runner.Run(config.Rounds - 1), TestContext.Current.CancellationToken);

        Assert.DoesNotContain(leaving.SiloAddress, await silos.Hosting(nameof(FlClientGrain)));
        FlCoordinatorTests.AssertSameRun(simulation, coordinator.Runner);
    }
}
