using System.Collections.Concurrent;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;
using NanoFed.Federation.Partitioning;
using NanoFed.Nets.Data;
using NanoFed.Nets.Training;

namespace NanoFed.Cluster;

/// <summary>
/// What one silo reads of the runs its grains take part in, once for all of them: each data set's training images
/// under its own data root, each federated run's partition and each gossip run's setup. A federated client is built
/// for one turn only (<see cref="Turn"/>) by a client factory of its run (<see cref="FlExperiment.DeviceClients"/>),
/// and the factories' working models are the only models the silo holds: at most <paramref name="turnsAtOnce"/> turns
/// run at once, each with a factory of its own (the clients of one factory share its model and must take turns), so
/// a silo hosting thousands of client grains holds a handful of models, not one per grain.
/// </summary>
public sealed class SiloData(string dataRoot, int turnsAtOnce)
{
    private readonly ConcurrentDictionary<string, Lazy<ImageDataset>> _train = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<FlRun>> _fl = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<GossipSetup>> _gossip = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _turns = new(turnsAtOnce > 0 ? turnsAtOnce : throw new ArgumentOutOfRangeException(nameof(turnsAtOnce), turnsAtOnce, "at least one turn must run"));

    /// <summary>The folder this silo reads data from.</summary>
    public string DataRoot { get; } = dataRoot ?? throw new ArgumentNullException(nameof(dataRoot));

    /// <summary>Client turns this silo runs at once.</summary>
    public int TurnsAtOnce => turnsAtOnce;

    /// <summary>
    /// Runs <paramref name="work"/> on the thread pool (off the silo's scheduler) with client <paramref name="client"/>
    /// of the run <paramref name="configJson"/> describes, built for this turn on this silo's data; waits while
    /// <see cref="TurnsAtOnce"/> turns run.
    /// </summary>
    public async Task<T> Turn<T>(string configJson, int client, Func<IFlClient, T> work)
    {
        ArgumentNullException.ThrowIfNull(configJson);
        ArgumentNullException.ThrowIfNull(work);
        await _turns.WaitAsync();
        try
        {
            return await Task.Run(() => _fl.GetOrAdd(configJson, json => new Lazy<FlRun>(() => Run(json))).Value.Turn(client, work));
        }
        finally
        {
            _turns.Release();
        }
    }

    /// <summary>The setup every agent of the gossip run <paramref name="configJson"/> describes is built from, on this silo's data.</summary>
    public GossipSetup Gossip(string configJson) =>
        _gossip.GetOrAdd(configJson, json => new Lazy<GossipSetup>(() => GossipSetup.Load(GossipConfig.Parse(json, "the run configuration"), DataRoot))).Value;

    private FlRun Run(string configJson)
    {
        var config = FlConfig.Parse(configJson, "the run configuration").Resolve();
        config.Validate();
        var train = _train.GetOrAdd(config.ResolvedDataset, d => new Lazy<ImageDataset>(() => ExperimentData.Train(d, DataRoot))).Value;
        return new FlRun(config, train, FlExperiment.PartitionOf(config, train), DatasetCatalog.NormalizationOf(config.ResolvedDataset));
    }

    /// <summary>One federated run as a silo sees it: its data, partition and the client factories not in use.</summary>
    private sealed class FlRun(FlConfig config, ImageDataset train, Partition partition, Normalization normalization)
    {
        private readonly ConcurrentBag<Func<FlClientData, IFlClient>> _idle = [];

        public T Turn<T>(int client, Func<IFlClient, T> work)
        {
            if ((uint)client >= (uint)partition.Clients) throw new ArgumentException($"client must be 0..{partition.Clients - 1}, got {client}");
            // A turn overwrites the whole working model from what it receives, so a factory a failed turn used is as good as new.
            if (!_idle.TryTake(out var factory)) factory = FlExperiment.DeviceClients(config, train);
            try
            {
                return work(factory(new FlClientData(client, train.Subset(partition.Indices[client]), normalization)));
            }
            finally
            {
                _idle.Add(factory);
            }
        }
    }
}
