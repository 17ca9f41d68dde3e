using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;

namespace NanoFed.Cluster;

/// <summary>What a silo needs to host NanoFed's grains.</summary>
public static class SiloSetup
{
    /// <summary>Lets the silo host client grains that read their data under <paramref name="dataRoot"/>.</summary>
    public static ISiloBuilder AddNanoFed(this ISiloBuilder silo, string dataRoot)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataRoot);
        silo.Services.AddSingleton(new SiloData(dataRoot));
        return silo;
    }
}
