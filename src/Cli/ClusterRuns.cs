using System.CommandLine;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;

namespace NanoFed.Cli;

/// <summary>
/// What the CLI runs on an Orleans cluster: `nanofed silo` and `fl --cluster`. The NativeAOT build compiles
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
        // A run id of its own, so that the grains of an earlier run on the cluster are never this run's.
        using var coordinator = new Cluster.FlCoordinator(experiment, Cluster.LocalCluster.Client(host), $"{Path.GetFileName(Path.GetFullPath(folder))}-{Guid.NewGuid():N}");
        return run(coordinator.Runner);
    }
}
