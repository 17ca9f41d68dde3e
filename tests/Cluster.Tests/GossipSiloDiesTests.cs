using NanoFed.Cluster;
using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Experiments;
using Xunit;

namespace NanoFed.Tests.Cluster;

/// <summary>
/// Issue 21's faults bullet for gossip: a silo killed (a hard stop) while agents on it are in the middle of an
/// iteration of the second epoch. The agents it held are gone with their state; the coordinator drops the epoch's
/// ledger rows, puts every agent back to the epoch's start from the run's in-process twin (the states it checkpointed)
/// and runs the epoch again, on grains Orleans reactivates on the live silos. The run folder's checkpoint, ledger and
/// metrics end as the simulation's, byte for byte. Own cluster: the kill must not reach the other tests' silos.
/// </summary>
[Collection(nameof(SiloKills))]
public sealed class GossipSiloDiesTests(ThreeSilos silos) : IClassFixture<ThreeSilos>
{
    /// <summary>About 40 s on a loaded 2-core host: behind the trait.</summary>
    [Theory]
    [Trait("Category", "EndToEnd")]
    [InlineData("sparse-push")]
    [InlineData("sgp")]
    public async Task AgentsLostWithAKilledSiloAreRestoredAndTheRunEndsAsTheSimulation(string method)
    {
        var cancel = TestContext.Current.CancellationToken;
        // Each case kills a silo: the cases after the first get it back.
        while (silos.Cluster.Silos.Count(s => s.IsActive) < ThreeSilos.Silos) await silos.Cluster.StartAdditionalSiloAsync();
        var config = GossipCoordinatorTests.Config(method);
        string folder = Directory.CreateTempSubdirectory("nanofed-gossip-kill-").FullName;
        try
        {
            using var simulation = GossipExperiment.Create(config, silos.DataRoot, Path.Combine(folder, "simulation"));
            while (!simulation.Scsp.TrainingDone) simulation.RunEpoch();
            long killAt = simulation.Runner.IterationsPerEpoch + 3;

            using var twin = GossipExperiment.Create(config, silos.DataRoot, Path.Combine(folder, "cluster"));
            var coordinator = new GossipCoordinator(config, silos.Cluster.Client, $"test-kill-{method}", twin.Runner.Ledger);
            // Not the first silo: the test cluster's membership lives there.
            var candidates = silos.Cluster.Silos.Skip(1).Where(s => s.IsActive).ToList();
            var hold = TurnHold.Arm(candidates.Select(s => s.SiloAddress),
                c => c.Grain is GossipAgentGrain && c.ImplementationMethod.Name == nameof(IGossipAgentGrain.Send) && (long)c.Request.GetArgument(1)! >= killAt);
            var run = Task.Run(() =>
            {
                while (!twin.Scsp.TrainingDone) twin.RunEpoch(runner => coordinator.RunEpoch(runner, cancel).GetAwaiter().GetResult());
            }, cancel);
            try
            {
                var doomed = await hold.Started.WaitAsync(TimeSpan.FromMinutes(1), cancel);
                await silos.Cluster.KillSiloAsync(candidates.Single(s => s.SiloAddress.Equals(doomed)), cancel);
                Assert.False(run.IsCompleted, "the run ended before the silo was killed");
            }
            finally
            {
                hold.Release();
            }
            await run;

            Assert.True(coordinator.RedoneEpochs >= 1, "no epoch was run again");
            Assert.Equal(File.ReadAllBytes(simulation.CheckpointPath), File.ReadAllBytes(twin.CheckpointPath));
            Assert.Equal(simulation.Runner.Ledger.Entries, twin.Runner.Ledger.Entries);
            Assert.Equal(DecentralizedMetrics.ToJson(simulation.Runner.History), DecentralizedMetrics.ToJson(twin.Runner.History));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
