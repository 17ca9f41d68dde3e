using System.CommandLine;
using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;

namespace NanoFed.Cli;

/// <summary>
/// What the CLI runs on an Orleans cluster: `nanofed silo`, `fl --cluster` and `gossip --cluster`. The NativeAOT build compiles
/// ClusterRuns.Aot.cs in place of this file, since Orleans is neither trim- nor AOT-safe.
/// </summary>
internal static class ClusterRuns
{
    /// <summary>The gateway port a silo opens by default.</summary>
    public const int DefaultGatewayPort = Cluster.LocalCluster.DefaultGatewayPort;

    /// <summary>The `silo` command.</summary>
    public static Command Silo() => SiloCommand.Create();

    /// <summary>Runs <paramref name="run"/> with the clients of <paramref name="experiment"/> as grains of the cluster's silos.</summary>
    public static int Fl(FlExperiment experiment, string clusterId, int gatewayPort, string folder, Func<FlRunner, int> run)
    {
        using var host = Cluster.LocalCluster.Connect(clusterId, gatewayPort).GetAwaiter().GetResult();
        using var coordinator = new Cluster.FlCoordinator(experiment, Cluster.LocalCluster.Client(host), RunId(folder));
        return run(coordinator.Runner);
    }

    /// <summary>Refuses, before anything is written, a gossip method or option that a cluster cannot take.</summary>
    public static void CheckGossip(GossipConfig config) => Cluster.GossipCoordinator.Check(config);

    /// <summary>
    /// Connects to the cluster, then has <paramref name="train"/> run the experiment's epochs on its agent grains
    /// (the function it is given trains one epoch there).
    /// </summary>
    public static int Gossip(GossipExperiment experiment, string clusterId, int gatewayPort,
        Func<Func<DecentralizedRunner, (long Bytes, double Loss)>, int> train)
    {
        using var host = Cluster.LocalCluster.Connect(clusterId, gatewayPort).GetAwaiter().GetResult();
        var coordinator = new Cluster.GossipCoordinator(experiment.Config, Cluster.LocalCluster.Client(host), RunId(experiment.Folder),
            experiment.Runner.Ledger);
        experiment.WriteConfig();
        Console.Error.WriteLine($"nanofed: {experiment.Description}, agents on cluster {clusterId}");
        return train(runner => coordinator.RunEpoch(runner).GetAwaiter().GetResult());
    }

    // A run id of its own, so that the grains of an earlier run on the cluster are never this run's.
    private static string RunId(string folder) => $"{Path.GetFileName(Path.GetFullPath(folder))}-{Guid.NewGuid():N}";
}
