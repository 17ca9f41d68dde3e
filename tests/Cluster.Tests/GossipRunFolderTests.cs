using NanoFed.Cluster;
using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Experiments;
using Xunit;

namespace NanoFed.Tests.Cluster;

/// <summary>
/// A gossip run folder written from a cluster (what `nanofed gossip --cluster` does): the agents train on grains of
/// three silos, and after every epoch their whole states are loaded into the in-process twin of the run, which
/// evaluates and checkpoints them. The checkpoint (every agent's model, momentum and push-sum state, the counters and
/// the metrics with their accuracies) is the in-process run's byte for byte, and so is the ledger.
/// </summary>
public sealed class GossipRunFolderTests(ThreeSilos silos) : IClassFixture<ThreeSilos>
{
    /// <summary>About 45 s a case on a loaded 2-core host (each epoch is also evaluated twice): behind the trait.</summary>
    [Theory]
    [Trait("Category", "EndToEnd")]
    [InlineData("sgp")]
    [InlineData("sparse-push")]
    public async Task ACheckpointWrittenFromTheClusterIsTheSimulationsByteForByte(string method)
    {
        var cancel = TestContext.Current.CancellationToken;
        var config = GossipCoordinatorTests.Config(method);
        string folder = Directory.CreateTempSubdirectory("nanofed-gossip-folder-").FullName;
        try
        {
            using var simulation = GossipExperiment.Create(config, silos.DataRoot, Path.Combine(folder, "simulation"));
            while (!simulation.Scsp.TrainingDone) simulation.RunEpoch();

            using var twin = GossipExperiment.Create(config, silos.DataRoot, Path.Combine(folder, "cluster"));
            var coordinator = new GossipCoordinator(config, silos.Cluster.Client, $"test-folder-{method}", twin.Runner.Ledger);
            await Task.Run(() =>
            {
                while (!twin.Scsp.TrainingDone) twin.RunEpoch(runner => coordinator.RunEpoch(runner, cancel).GetAwaiter().GetResult());
            }, cancel);

            Assert.Equal(File.ReadAllBytes(simulation.CheckpointPath), File.ReadAllBytes(twin.CheckpointPath));
            Assert.Equal(simulation.Runner.Ledger.Entries, twin.Runner.Ledger.Entries);
            Assert.Equal(DecentralizedMetrics.ToJson(simulation.Runner.History), DecentralizedMetrics.ToJson(twin.Runner.History));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// A run stopped after its first epoch and resumed from its checkpoint by a new coordinator (a new run id: the
    /// first run's grains are not reused): the agent grains start from the checkpoint, and the run ends as the
    /// uninterrupted simulation, byte for byte. Behind the trait, as the case above.
    /// </summary>
    [Fact]
    [Trait("Category", "EndToEnd")]
    public async Task ARunResumedOnTheClusterEndsAsTheSimulation()
    {
        var cancel = TestContext.Current.CancellationToken;
        var config = GossipCoordinatorTests.Config("sparse-push");
        string folder = Directory.CreateTempSubdirectory("nanofed-gossip-resume-").FullName;
        try
        {
            using var simulation = GossipExperiment.Create(config, silos.DataRoot, Path.Combine(folder, "simulation"));
            while (!simulation.Scsp.TrainingDone) simulation.RunEpoch();

            string cluster = Path.Combine(folder, "cluster");
            await Task.Run(() =>
            {
                using (var first = GossipExperiment.Create(config, silos.DataRoot, cluster))
                {
                    var coordinator = new GossipCoordinator(config, silos.Cluster.Client, "test-resume-a", first.Runner.Ledger);
                    first.RunEpoch(runner => coordinator.RunEpoch(runner, cancel).GetAwaiter().GetResult());
                }
                using var resumed = GossipExperiment.Create(config, silos.DataRoot, cluster);
                resumed.Resume();
                var again = new GossipCoordinator(config, silos.Cluster.Client, "test-resume-b", resumed.Runner.Ledger);
                while (!resumed.Scsp.TrainingDone) resumed.RunEpoch(runner => again.RunEpoch(runner, cancel).GetAwaiter().GetResult());
            }, cancel);

            Assert.Equal(File.ReadAllBytes(simulation.CheckpointPath), File.ReadAllBytes(Path.Combine(cluster, "checkpoint.safetensors")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
