using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NanoFed.Federation.Transport;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;

namespace NanoFed.Cluster;

/// <summary>
/// Orleans hosting for NanoFed: the silos of a cluster and the runs that connect to them. The silos find each other
/// either through Orleans' localhost development clustering (one machine: each silo on its own ports joins the first,
/// primary, one) or through a membership table in Redis (<see cref="RedisMembership"/>: several machines, each silo
/// advertising an address the others reach); a run reaches them through a gateway, found at a port of this machine or
/// in the same table.
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
    /// listening on <paramref name="endpoints"/>, found by the other silos through <paramref name="membership"/> (null:
    /// local clustering, joining the primary silo at <see cref="SiloEndpoints.PrimaryPort"/>), and keeping its client
    /// grains' state in files under <paramref name="stateFolder"/> (<see cref="SiloSetup.AddNanoFedFileStorage"/>). A
    /// Redis that does not answer stops it within <see cref="RedisMembership.ConnectTimeout"/>.
    /// </summary>
    public static async Task<IHost> StartSilo(string clusterId, string dataRoot, SiloEndpoints endpoints, RedisMembership? membership, string stateFolder,
        CancellationToken cancel = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clusterId);
        ArgumentNullException.ThrowIfNull(endpoints);
        if (membership is null && endpoints.Advertise is not null)
            throw new ArgumentException("--advertise needs --membership: local clustering keeps a cluster on this machine's loopback address");
        if (membership is not null && endpoints.PrimaryPort is not null)
            throw new ArgumentException("--primary-port is for local clustering: with --membership the silos find each other in Redis");
        if (membership is not null) await membership.Check(cancel);
        var builder = Host.CreateApplicationBuilder();
        Quiet(builder, LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            if (membership is null)
            {
                var primary = new IPEndPoint(IPAddress.Loopback, endpoints.PrimaryPort ?? endpoints.SiloPort);
                silo.UseLocalhostClustering(endpoints.SiloPort, endpoints.GatewayPort, primary, ServiceId, clusterId);
            }
            else
            {
                Name(silo.Services, clusterId);
                silo.UseRedisClustering(o => o.ConfigurationOptions = membership.Options());
                if (endpoints.Advertise is { } address) silo.ConfigureEndpoints(address, endpoints.SiloPort, endpoints.GatewayPort);
                else silo.ConfigureEndpoints(endpoints.SiloPort, endpoints.GatewayPort);
            }
            silo.Configure<SiloMessagingOptions>(o =>
            {
                o.ResponseTimeout = TurnTimeout;
                o.MaxMessageBodySize = MaxMessageBodySize;
            });
            silo.AddNanoFed(dataRoot).AddNanoFedFileStorage(stateFolder);
        });
        string where = membership is null ? "" : $" (membership {membership})";
        return await Start(builder.Build(), $"silo of cluster {clusterId} on ports {endpoints.SiloPort} and {endpoints.GatewayPort}{where}", cancel);
    }

    /// <summary>Connects to cluster <paramref name="clusterId"/> on this machine through the gateway at <paramref name="gatewayPort"/>; the host's services hold the <see cref="IClusterClient"/>.</summary>
    public static Task<IHost> Connect(string clusterId, int gatewayPort, CancellationToken cancel = default) =>
        Connect(clusterId, client => client.UseLocalhostClustering(gatewayPort, ServiceId, clusterId), $"no silo answered at gateway port {gatewayPort}", cancel);

    /// <summary>
    /// Connects to cluster <paramref name="clusterId"/> through the gateways its silos registered in
    /// <paramref name="membership"/>; the host's services hold the <see cref="IClusterClient"/>. A Redis that does not
    /// answer stops it within <see cref="RedisMembership.ConnectTimeout"/>.
    /// </summary>
    public static async Task<IHost> Connect(string clusterId, RedisMembership membership, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(membership);
        await membership.Check(cancel);
        return await Connect(clusterId, client =>
        {
            Name(client.Services, clusterId);
            client.UseRedisClustering(o => o.ConfigurationOptions = membership.Options());
            // One gateway, as on one machine: a reply on its way through a gateway whose silo dies may never arrive (a
            // run that spread its calls over both silos' gateways hung when one was killed); through one, the run
            // redoes the turns of any other silo lost (ClientTurns).
            client.Configure<GatewayOptions>(o => o.PreferredGatewayIndex = 0);
        }, $"no silo of it answered (membership {membership})", cancel);
    }

    private static async Task<IHost> Connect(string clusterId, Action<IClientBuilder> clustering, string failure, CancellationToken cancel)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clusterId);
        var builder = Host.CreateApplicationBuilder();
        Quiet(builder, LogLevel.None);
        var since = DateTime.UtcNow;
        builder.UseOrleansClient(client =>
        {
            clustering(client);
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
        return await Start(builder.Build(), $"--cluster {clusterId}: {failure}", cancel);
    }

    /// <summary>Names the cluster as local clustering does, so that silos and runs of one id meet whichever membership they use.</summary>
    private static void Name(IServiceCollection services, string clusterId) => services.Configure<ClusterOptions>(o =>
    {
        o.ServiceId = ServiceId;
        o.ClusterId = clusterId;
    });

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

    /// <summary>The cluster client of a host from <see cref="Connect(string, int, CancellationToken)"/> or <see cref="Connect(string, RedisMembership, CancellationToken)"/>.</summary>
    public static IClusterClient Client(IHost host) => (host ?? throw new ArgumentNullException(nameof(host))).Services.GetRequiredService<IClusterClient>();

    /// <summary>
    /// How many silos a silo's placement can use, each time that changes: the silos whose grain manifests the silo
    /// holds, itself included. A silo joins a cluster before the others know it; grains placed by a silo that does not
    /// know the others yet all land on it, so a run spread over N silos waits until each has said N.
    /// </summary>
    public static async IAsyncEnumerable<int> SiloCounts(IHost silo, [EnumeratorCancellation] CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(silo);
        int last = 0;
        await foreach (var manifest in silo.Services.GetRequiredService<IClusterManifestProvider>().Updates.WithCancellation(cancel))
        {
            if (manifest.Silos.Count == last) continue;
            last = manifest.Silos.Count;
            yield return last;
        }
    }

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
