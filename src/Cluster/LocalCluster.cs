using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NanoFed.Federation.Transport;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;

namespace NanoFed.Cluster;

/// <summary>
/// Orleans' localhost development clustering for NanoFed: silos of one cluster on this machine, each with its own
/// silo and gateway ports, joining the first (primary) one, and a client that reaches them through a gateway. It is
/// for one machine only; several machines need a real membership provider (docs/cluster.md).
/// </summary>
public static class LocalCluster
{
    /// <summary>The Orleans service id every NanoFed cluster uses.</summary>
    public const string ServiceId = "nanofed";

    /// <summary>Orleans' default silo-to-silo port: the primary silo's.</summary>
    public const int DefaultSiloPort = 11111;

    /// <summary>Orleans' default gateway port: the primary silo's.</summary>
    public const int DefaultGatewayPort = 30000;

    /// <summary>How long a run keeps trying to reach the cluster's gateway.</summary>
    public static readonly TimeSpan ConnectPatience = TimeSpan.FromSeconds(10);

    /// <summary>How long the coordinator waits for one turn of a grain (a client's local training can take minutes).</summary>
    public static readonly TimeSpan TurnTimeout = TimeSpan.FromHours(1);

    /// <summary>
    /// The largest message body a silo or a run accepts: a VGG11's weights (34 million parameters, 136 MB in float32)
    /// pass Orleans' default of 100 MB, so it is raised to 1 GiB.
    /// </summary>
    public const int MaxMessageBodySize = 1 << 30;

    /// <summary>Where the silos of cluster <paramref name="clusterId"/> on this machine keep client state unless told otherwise.</summary>
    public static string DefaultStateFolder(string clusterId) => Path.Combine(Path.GetTempPath(), $"nanofed-cluster-{clusterId}");

    /// <summary>
    /// Starts a silo of cluster <paramref name="clusterId"/> hosting NanoFed's grains over <paramref name="dataRoot"/>,
    /// listening on <paramref name="siloPort"/> and <paramref name="gatewayPort"/>; it joins the primary silo at
    /// <paramref name="primaryPort"/> (null: this silo is the primary), and keeps its client grains' state in files
    /// under <paramref name="stateFolder"/> (<see cref="SiloSetup.AddNanoFedFileStorage"/>).
    /// </summary>
    public static async Task<IHost> StartSilo(string clusterId, string dataRoot, int siloPort, int gatewayPort, int? primaryPort, string stateFolder,
        CancellationToken cancel = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clusterId);
        var builder = Host.CreateApplicationBuilder();
        Quiet(builder, LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            var primary = new IPEndPoint(IPAddress.Loopback, primaryPort ?? siloPort);
            silo.UseLocalhostClustering(siloPort, gatewayPort, primary, ServiceId, clusterId);
            silo.Configure<SiloMessagingOptions>(o =>
            {
                o.ResponseTimeout = TurnTimeout;
                o.MaxMessageBodySize = MaxMessageBodySize;
            });
            silo.AddNanoFed(dataRoot).AddNanoFedFileStorage(stateFolder);
        });
        return await Start(builder.Build(), $"silo of cluster {clusterId} on ports {siloPort} and {gatewayPort}", cancel);
    }

    /// <summary>Connects to cluster <paramref name="clusterId"/> through the gateway at <paramref name="gatewayPort"/>; the host's services hold the <see cref="IClusterClient"/>.</summary>
    public static async Task<IHost> Connect(string clusterId, int gatewayPort, CancellationToken cancel = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clusterId);
        var builder = Host.CreateApplicationBuilder();
        Quiet(builder, LogLevel.None);
        var since = DateTime.UtcNow;
        builder.UseOrleansClient(client =>
        {
            client.UseLocalhostClustering(gatewayPort, ServiceId, clusterId);
            // A silo still starting gets a few seconds; a cluster that is not there fails the run at once rather than after Orleans' minutes of retries.
            client.UseConnectionRetryFilter(async (_, token) =>
            {
                if (DateTime.UtcNow - since > ConnectPatience) return false;
                await Task.Delay(TimeSpan.FromSeconds(1), token);
                return true;
            });
            client.Configure<ClientMessagingOptions>(o =>
            {
                o.ResponseTimeout = TurnTimeout;
                o.MaxMessageBodySize = MaxMessageBodySize;
            });
        });
        return await Start(builder.Build(), $"--cluster {clusterId}: no silo answered at gateway port {gatewayPort}", cancel);
    }

    /// <summary>Starts <paramref name="host"/>; what keeps it from starting (a port in use, no silo) becomes one <see cref="TransportException"/> line beginning with <paramref name="what"/>.</summary>
    private static async Task<IHost> Start(IHost host, string what, CancellationToken cancel)
    {
        try
        {
            await host.StartAsync(cancel);
            return host;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            host.Dispose();
            throw new TransportException($"{what}: {e.GetBaseException().Message.ReplaceLineEndings(" ")}", e);
        }
    }

    /// <summary>The cluster client of a host from <see cref="Connect"/>.</summary>
    public static IClusterClient Client(IHost host) => (host ?? throw new ArgumentNullException(nameof(host))).Services.GetRequiredService<IClusterClient>();

    /// <summary>
    /// Orleans logs at Information by default; NanoFed's commands print their own progress, so a silo lets only
    /// warnings pass, to stderr, and a run (<paramref name="level"/> None) nothing: what stops it surfaces as one line.
    /// </summary>
    private static void Quiet(HostApplicationBuilder builder, LogLevel level)
    {
        builder.Logging.ClearProviders();
        if (level == LogLevel.None) return;
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(level);
    }
}
