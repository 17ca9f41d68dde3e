using System.CommandLine;
using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;

namespace NanoFed.Cli;

/// <summary>
/// The NativeAOT build's stand-in for ClusterRuns.cs: Orleans is neither trim- nor AOT-safe, so the native binary
/// leaves the cluster out and says so in one line.
/// </summary>
internal static class ClusterRuns
{
    private const string Missing = "this nanofed is the NativeAOT build, which leaves out Orleans (not AOT-safe); run clusters with the .NET tool or nanofed.dll";

    /// <summary>The gateway port a silo opens by default (LocalCluster's).</summary>
    public const int DefaultGatewayPort = 30000;

    /// <summary>A `silo` command that refuses to run.</summary>
    public static Command Silo()
    {
        var command = new Command("silo", "Run one silo of a NanoFed cluster (not in the NativeAOT build)");
        command.SetAction(_ => Program.Guard(() => throw new ArgumentException($"silo: {Missing}")));
        return command;
    }

    /// <summary>Refuses --cluster and --membership before any data is read.</summary>
    public static void Check(string? clusterId, string? membership, bool gatewayPortGiven, GossipConfig? gossip = null)
    {
        if (clusterId is not null || membership is not null) throw new ArgumentException($"--cluster: {Missing}");
    }

    /// <summary>Refuses --cluster.</summary>
    public static int Fl(FlExperiment experiment, string clusterId, string? membership, int gatewayPort, string folder, Func<FlRunner, int> run) =>
        throw new ArgumentException($"--cluster: {Missing}");

    /// <summary>Refuses --cluster.</summary>
    public static int Gossip(GossipExperiment experiment, string clusterId, string? membership, int gatewayPort, string folder, string resumed,
        Func<Func<DecentralizedRunner, (long Bytes, double Loss)>, int> train) =>
        throw new ArgumentException($"--cluster: {Missing}");
}
