using NanoFed.Cluster;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;
using NanoFed.Nets.Checkpoints;
using Orleans;
using Orleans.Runtime;
using Xunit;

namespace NanoFed.Tests.Cluster;

/// <summary>
/// Must-show 1 of issue 21, federated part: a method run for three rounds by a <see cref="FlCoordinator"/> over client
/// grains spread on three silos ends with every tensor of the server's state bit-identical to the in-process
/// simulation of the same configuration and seed, and with the simulation's ledger, entry for entry.
/// </summary>
public sealed class FlCoordinatorTests(ThreeSilos silos) : IClassFixture<ThreeSilos>
{
    [Theory]
    [InlineData("fedavg")]
    [InlineData("splitfed")]
    [InlineData("ecofed")]
    public async Task ThreeRoundsOnThreeSilosEndAsTheSimulation(string method)
    {
        var config = new FlConfig
        {
            Method = method, Model = "smallcnn", Clients = 6, PerRound = 4, Rounds = 3, SamplesPerClient = 90, SplitIndex = 2, Batch = 20, Lr = 0.05,
            Period = 2, Seed = 7,
        }.Resolve();
        var simulation = FlExperiment.Load(config, silos.DataRoot).Simulation();
        simulation.Run(config.Rounds);

        using var coordinator = new FlCoordinator(FlExperiment.Load(config, silos.DataRoot), silos.Cluster.Client, $"test-{method}");
        await Task.Run(() => coordinator.Runner.Run(config.Rounds), TestContext.Current.CancellationToken);

        var expected = simulation.Strategy.SaveState().ToDictionary(t => t.Name);
        var actual = coordinator.Runner.Strategy.SaveState();
        Assert.Equal(expected.Keys.Order(), actual.Select(t => t.Name).Order());
        foreach (var tensor in actual)
            Assert.True(tensor.Data.AsSpan().SequenceEqual(expected[tensor.Name].Data), $"{tensor.Name} differs from the simulation");
        Assert.Equal(simulation.Ledger.Entries, coordinator.Runner.Ledger.Entries);
        Assert.Equal(simulation.History.Select(m => (m.Accuracy, m.Loss, m.Bytes)), coordinator.Runner.History.Select(m => (m.Accuracy, m.Loss, m.Bytes)));
        var hosts = await SilosHosting();
        Assert.True(hosts.Count > 1, $"the client grains lived on {hosts.Count} silo(s): the test showed no spread ({string.Join(", ", hosts)})");
    }

    /// <summary>The silos that host a client grain now.</summary>
    private async Task<List<SiloAddress>> SilosHosting()
    {
        var management = silos.Cluster.Client.GetGrain<IManagementGrain>(0);
        var stats = await management.GetDetailedGrainStatistics();
        return stats.Where(s => s.GrainType.Contains(nameof(FlClientGrain), StringComparison.Ordinal)).Select(s => s.SiloAddress).Distinct().ToList();
    }
}
