using Microsoft.Extensions.DependencyInjection;
using NanoFed.Threading;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;

namespace NanoFed.Cluster;

/// <summary>What a silo needs to host NanoFed's grains.</summary>
public static class SiloSetup
{
    /// <summary>The grain storage client grains keep their state in; a silo registers a provider under this name.</summary>
    public const string StorageName = "nanofed";

    /// <summary>
    /// How long a client grain stays active without a turn: two minutes, the shortest Orleans takes (more than its
    /// collection quantum of one minute). A grain holds no model, so this bounds only the count of small activations.
    /// </summary>
    public static readonly TimeSpan DefaultClientCollectionAge = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Lets the silo host client and agent grains that read their data under <paramref name="dataRoot"/>, running at
    /// most <paramref name="turnsAtOnce"/> client turns at once (default: the engine's worker count), and deactivating a
    /// client grain that had no turn for <paramref name="clientCollectionAge"/> (default
    /// <see cref="DefaultClientCollectionAge"/>). The grain storage named <see cref="StorageName"/> is the caller's to add.
    /// </summary>
    public static ISiloBuilder AddNanoFed(this ISiloBuilder silo, string dataRoot, int? turnsAtOnce = null, TimeSpan? clientCollectionAge = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataRoot);
        silo.Services.AddSingleton(new SiloData(dataRoot, turnsAtOnce ?? Workers.Count));
        silo.Configure<GrainCollectionOptions>(o => o.ClassSpecificCollectionAge[typeof(FlClientGrain).FullName!] = clientCollectionAge ?? DefaultClientCollectionAge);
        return silo;
    }

    /// <summary>Keeps the client grains' state in files under <paramref name="folder"/> (<see cref="FileGrainStorage"/>).</summary>
    public static ISiloBuilder AddNanoFedFileStorage(this ISiloBuilder silo, string folder)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        silo.Services.AddGrainStorage(StorageName, (services, _) => new FileGrainStorage(folder, services.GetRequiredService<Serializer>()));
        return silo;
    }
}
