using NanoFed.Cluster;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;
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
        var config = Config(method);
        var simulation = FlExperiment.Load(config, silos.DataRoot).Simulation();
        simulation.Run(config.Rounds);

        using var coordinator = new FlCoordinator(FlExperiment.Load(config, silos.DataRoot), silos.Cluster.Client, $"test-{method}");
        await Task.Run(() => coordinator.Runner.Run(config.Rounds), TestContext.Current.CancellationToken);

        AssertSameRun(simulation, coordinator.Runner);
        var hosts = await silos.Hosting(nameof(FlClientGrain));
        Assert.True(hosts.Count > 1, $"the client grains lived on {hosts.Count} silo(s): the test showed no spread ({string.Join(", ", hosts)})");
    }

    /// <summary>A small run of <paramref name="method"/>: 6 clients of SmallCnn, 4 per round, 3 rounds.</summary>
    internal static FlConfig Config(string method) => new FlConfig
    {
        Method = method, Model = "smallcnn", Clients = 6, PerRound = 4, Rounds = 3, SamplesPerClient = 90, SplitIndex = 2, Batch = 20, Lr = 0.05,
        Period = 2, Seed = 7,
    }.Resolve();

    /// <summary>Asserts that every tensor of the strategy's state, the ledger and the rounds' figures of <paramref name="cluster"/> are <paramref name="simulation"/>'s.</summary>
    internal static void AssertSameRun(FlRunner simulation, FlRunner cluster)
    {
        var expected = simulation.Strategy.SaveState().ToDictionary(t => t.Name);
        var actual = cluster.Strategy.SaveState();
        Assert.Equal(expected.Keys.Order(), actual.Select(t => t.Name).Order());
        foreach (var tensor in actual)
            Assert.True(tensor.Data.AsSpan().SequenceEqual(expected[tensor.Name].Data), $"{tensor.Name} differs from the simulation");
        Assert.Equal(simulation.Ledger.Entries, cluster.Ledger.Entries);
        Assert.Equal(simulation.History.Select(m => (m.Accuracy, m.Loss, m.Bytes)), cluster.History.Select(m => (m.Accuracy, m.Loss, m.Bytes)));
    }
}
