using NanoFed.Cluster;
using NanoFed.Tests.Cli;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.TestingHost;
using Xunit;

namespace NanoFed.Tests.Cluster;

/// <summary>
/// Three in-process silos of Orleans' test host, each hosting NanoFed's grains over one data root that holds the
/// synthetic Fashion-MNIST set and keeping client state in one folder, shared by the tests of a class. Each silo has a <see cref="TurnHold"/>, inert until a
/// test arms it.
/// </summary>
public sealed class ThreeSilos : IAsyncLifetime
{
    /// <summary>Silos in the cluster.</summary>
    public const int Silos = 3;

    private readonly string _folder = Directory.CreateTempSubdirectory("nanofed-cluster-").FullName;

    public ThreeSilos()
    {
        DataRoot = Path.Combine(_folder, "data");
        SyntheticFashionMnist.Write(DataRoot);
        var builder = new InProcessTestClusterBuilder(Silos);
        // The grain storage of `nanofed silo`, files in one folder: Orleans' memory storage keeps its records in grains
        // spread over the silos, and a killed silo would take some clients' kept state with it.
        string state = Path.Combine(_folder, "state");
        builder.ConfigureSilo((_, silo) => silo.AddNanoFed(DataRoot).AddNanoFedFileStorage(state).AddIncomingGrainCallFilter<TurnHold>());
        // As `fl --cluster`'s client: the test host's 30 s response timeout, under CI's load, came before the silo watch saw a
        // killed silo leave the cluster, and the lost turns counted as failed clients instead of being redone.
        // And through one gateway, as `fl|gossip --cluster` connect: a request on its way through the gateway of a silo that
        // dies can be lost without a word (the test host's in-memory transport), while the silo watch finds the grain
        // alive on another silo, and the run waited for it for good (a gossip case, twice in five runs). The first
        // gateway is the first silo's, which no test kills.
        builder.ConfigureClient(client => client
            .Configure<ClientMessagingOptions>(o => o.ResponseTimeout = LocalCluster.TurnTimeout)
            .Configure<GatewayOptions>(o => o.PreferredGatewayIndex = 0));
        Cluster = builder.Build();
    }

    public string DataRoot { get; }

    public InProcessTestCluster Cluster { get; }

    public async ValueTask InitializeAsync() => await Cluster.DeployAsync();

    /// <summary>The silos that host a grain of class <paramref name="grainClass"/> now.</summary>
    public async Task<List<SiloAddress>> Hosting(string grainClass)
    {
        var stats = await Cluster.Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        return stats.Where(s => s.GrainType.Contains(grainClass, StringComparison.Ordinal)).Select(s => s.SiloAddress).Distinct().ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
