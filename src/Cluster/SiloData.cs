using System.Collections.Concurrent;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;
using NanoFed.Federation.Partitioning;
using NanoFed.Nets.Data;

namespace NanoFed.Cluster;

/// <summary>
/// What one silo reads of the runs its grains take part in, once for all of them: each data set's training images
/// under its own data root, each federated run's partition and each gossip run's setup. A grain builds its client from these
/// (<see cref="FlExperiment.DeviceClient(FlConfig, ImageDataset, Partition, int)"/>), so a silo hosting a thousand clients reads its files once.
/// </summary>
public sealed class SiloData(string dataRoot)
{
    private readonly ConcurrentDictionary<string, Lazy<ImageDataset>> _train = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Partition>> _partitions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<GossipSetup>> _gossip = new(StringComparer.Ordinal);

    /// <summary>The folder this silo reads data from.</summary>
    public string DataRoot { get; } = dataRoot ?? throw new ArgumentNullException(nameof(dataRoot));

    /// <summary>Client <paramref name="client"/> of the run <paramref name="configJson"/> describes, on this silo's data.</summary>
    public IFlClient Client(string configJson, int client)
    {
        var config = FlConfig.Parse(configJson, "the run configuration").Resolve();
        config.Validate();
        var train = _train.GetOrAdd(config.ResolvedDataset, d => new Lazy<ImageDataset>(() => ExperimentData.Train(d, DataRoot))).Value;
        var partition = _partitions.GetOrAdd(configJson, _ => new Lazy<Partition>(() => FlExperiment.PartitionOf(config, train))).Value;
        return FlExperiment.DeviceClient(config, train, partition, client);
    }

    /// <summary>The setup every agent of the gossip run <paramref name="configJson"/> describes is built from, on this silo's data.</summary>
    public GossipSetup Gossip(string configJson) =>
        _gossip.GetOrAdd(configJson, json => new Lazy<GossipSetup>(() => GossipSetup.Load(GossipConfig.Parse(json, "the run configuration"), DataRoot))).Value;
}
