using System.CommandLine;
using Microsoft.Extensions.Hosting;
using NanoFed.Cluster;
using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;

namespace NanoFed.Cli;

/// <summary>
/// What the CLI runs on an Orleans cluster: `nanofed silo`, `fl --cluster` and `gossip --cluster`, the cluster's silos
/// found on this machine (--gateway-port) or in a Redis membership table (--membership). The NativeAOT build compiles
/// ClusterRuns.Aot.cs in place of this file, since Orleans is neither trim- nor AOT-safe.
/// </summary>
internal static class ClusterRuns
{
    /// <summary>The gateway port a silo opens by default.</summary>
    public const int DefaultGatewayPort = LocalCluster.DefaultGatewayPort;

    /// <summary>The `silo` command.</summary>
    public static Command Silo() => SiloCommand.Create();

    /// <summary>
    /// Refuses, before any data is read, cluster options that do not go together or a --membership that is no Redis
    /// URL; <paramref name="gossip"/>, a gossip run's configuration, must be one a cluster runs.
    /// </summary>
    public static void Check(string? clusterId, string? membership, bool gatewayPortGiven, GossipConfig? gossip = null)
    {
        if (membership is not null)
        {
            if (clusterId is null) throw new ArgumentException("--membership needs --cluster: it says where that cluster's silos are registered");
            if (gatewayPortGiven) throw new ArgumentException("--gateway-port is for a cluster on this machine: with --membership the run finds the silos' gateways in Redis");
            RedisMembership.Parse(membership);
        }
        if (clusterId is not null && gossip is not null) GossipCoordinator.Check(gossip);
    }

    /// <summary>Runs <paramref name="run"/> with the clients of <paramref name="experiment"/> as grains of the cluster's silos.</summary>
    public static int Fl(FlExperiment experiment, string clusterId, string? membership, int gatewayPort, string folder, Func<FlRunner, int> run)
    {
        using var host = Connect(clusterId, membership, gatewayPort);
        using var coordinator = new FlCoordinator(experiment, LocalCluster.Client(host), RunId(folder));
        int code = run(coordinator.Runner);
        if (coordinator.RedoneTurns > 0) Console.Error.WriteLine($"nanofed: {coordinator.RedoneTurns} client turns started again after their silo left the cluster");
        return code;
    }

    /// <summary>
    /// Trains the agents of <paramref name="experiment"/> (loaded from its checkpoint when resumed: the grains start
    /// from it) as grains of the cluster's silos: <paramref name="train"/> is given the step that runs an epoch there,
    /// and writes the run folder from their states as the simulation does.
    /// </summary>
    public static int Gossip(GossipExperiment experiment, string clusterId, string? membership, int gatewayPort, string folder, string resumed,
        Func<Func<DecentralizedRunner, (long Bytes, double Loss)>, int> train)
    {
        using var host = Connect(clusterId, membership, gatewayPort);
        var coordinator = new GossipCoordinator(experiment.Config, LocalCluster.Client(host), RunId(folder), experiment.Runner.Ledger);
        experiment.WriteConfig();
        Console.Error.WriteLine($"nanofed: {experiment.Description}, agents on cluster {clusterId}{resumed}");
        int code = train(runner => coordinator.RunEpoch(runner).GetAwaiter().GetResult());
        if (coordinator.RedoneEpochs > 0) Console.Error.WriteLine($"nanofed: {coordinator.RedoneEpochs} epoch{(coordinator.RedoneEpochs == 1 ? "" : "s")} run again after agents' silos left the cluster");
        return code;
    }

    private static IHost Connect(string clusterId, string? membership, int gatewayPort) =>
        (membership is null ? LocalCluster.Connect(clusterId, gatewayPort) : LocalCluster.Connect(clusterId, RedisMembership.Parse(membership))).GetAwaiter().GetResult();

    /// <summary>A run id of its own, so that the grains of an earlier run on the cluster are never this run's.</summary>
    private static string RunId(string folder) => $"{Path.GetFileName(Path.GetFullPath(folder))}-{Guid.NewGuid():N}";
}
