using NanoFed.Cluster;
using NanoFed.Tests.Cli;
using Orleans.TestingHost;
using Xunit;

namespace NanoFed.Tests.Cluster;

/// <summary>
/// Three in-process silos of Orleans' test host, each hosting NanoFed's grains over one data root that holds the
/// synthetic Fashion-MNIST set, shared by the tests of a class.
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
        builder.ConfigureSilo((_, silo) => silo.AddNanoFed(DataRoot));
        Cluster = builder.Build();
    }

    public string DataRoot { get; }

    public InProcessTestCluster Cluster { get; }

    public async ValueTask InitializeAsync() => await Cluster.DeployAsync();

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
