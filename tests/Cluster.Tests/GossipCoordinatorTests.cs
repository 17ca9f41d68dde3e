using NanoFed.Cluster;
using NanoFed.Federation.Experiments;
using Xunit;

namespace NanoFed.Tests.Cluster;

/// <summary>
/// Must-show 1 of issue 21, decentralized part: four agent grains on three silos run 27 iterations (3 epochs of 9) of
/// SGP or Sparse-Push (also with quasi-global momentum, whose buffer lives in the grains' agents) and end with every
/// agent's push-sum state (z, w) bit-identical to the in-process simulation of the same configuration and seed, and
/// with the simulation's ledger, entry for entry.
/// </summary>
public sealed class GossipCoordinatorTests(ThreeSilos silos) : IClassFixture<ThreeSilos>
{
    [Theory]
    [InlineData("sgp", false, null)]
    [InlineData("sparse-push", false, null)]
    [InlineData("sparse-push", true, 0.5)]
    public async Task AgentsOnThreeSilosEndAsTheSimulation(string method, bool quasiGlobal, double? tracking)
    {
        var config = Config(method) with { QuasiGlobalMomentum = quasiGlobal, UpdateTracking = tracking };
        string folder = Directory.CreateTempSubdirectory("nanofed-gossip-").FullName;
        try
        {
            using var simulation = GossipExperiment.Create(config, silos.DataRoot, folder);
            while (!simulation.Scsp.TrainingDone) simulation.RunEpoch();
            long iterations = simulation.Runner.Iteration;
            Assert.Equal(27, iterations);

            var coordinator = new GossipCoordinator(config, silos.Cluster.Client, $"test-{method}-{quasiGlobal}");
            await coordinator.Run(iterations, TestContext.Current.CancellationToken);

            for (int i = 0; i < config.Agents; i++)
            {
                var state = await coordinator.State(i);
                var node = simulation.Runner.Agents[i].Node;
                Assert.Equal(node.Z, state.Values[Array.IndexOf(state.Names, "push_sum.z")]);
                Assert.Equal(BitConverter.SingleToInt32Bits(node.W), BitConverter.SingleToInt32Bits(state.Values[Array.IndexOf(state.Names, "push_sum.w")][0]));
            }
            Assert.Equal(simulation.Runner.Ledger.Entries, coordinator.Ledger.Entries);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A small run of <paramref name="method"/>: 4 agents of SmallCnn on an exponential graph, 3 epochs of 9 iterations.</summary>
    internal static GossipConfig Config(string method) => new()
    {
        Method = method, Agents = 4, Graph = "exponential", Model = "smallcnn", Dataset = "fashion-mnist", Limit = 576, TestLimit = 50,
        Batch = 16, Epochs = 3, Lr = 0.05, WarmupEpochs = 1, Keep = 0.1, Form = "B", Seed = 11,
    };
}
