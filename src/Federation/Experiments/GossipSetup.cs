using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Partitioning;
using NanoFed.Federation.Topology;
using NanoFed.Nets.Data;
using NanoFed.Nets.Optim;
using NanoFed.Nets.Training;

namespace NanoFed.Federation.Experiments;

/// <summary>
/// What every agent of a gossip run is derived from, the same in the in-process simulation and in each peer process:
/// the training images (the first <see cref="GossipConfig.Limit"/>), their partition drawn from the seed, the graph,
/// the learning-rate schedule and a factory for agent i (its model initialized from the seed, its partition, its
/// optimizer). A peer process builds one agent from it and so holds only its own partition, yet agrees with the
/// others on everything global (the iterations per epoch are the fewest batches of any partition).
/// </summary>
public sealed class GossipSetup
{
    private GossipSetup(GossipConfig config, ImageDataset train, Partition partition)
    {
        Config = config;
        Train = train;
        Partition = partition;
        Normalization = DatasetCatalog.NormalizationOf(config.Dataset);
        Augmentation = config.NoAugment ? null : DatasetCatalog.AugmentationOf(config.Dataset);
        // Agents drop their last partial batch, so agent i has |P_i| / batch batches per epoch.
        int fewest = Array.FindIndex(partition.Indices, p => p.Length == partition.Indices.Min(q => q.Length));
        IterationsPerEpoch = partition.Indices[fewest].Length / config.Batch;
        if (IterationsPerEpoch == 0)
            throw new ArgumentException($"agent {fewest} has {partition.Indices[fewest].Length} images, fewer than one batch of {config.Batch}");
        Schedule = GossipSchedule.Create(config.Schedule, config.Lr, config.Milestones, config.WarmupEpochs, config.Epochs, IterationsPerEpoch);
        Topology = GossipGraphs.Create(config.Graph, config.Agents, config.Degree, config.Seed);
    }

    /// <summary>Validates <paramref name="config"/>, reads its training images under <paramref name="dataRoot"/> and partitions them.</summary>
    public static GossipSetup Load(GossipConfig config, string dataRoot)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var train = ExperimentData.Train(config.Dataset, dataRoot);
        if (config.Limit > 0) train = train.Subset(Enumerable.Range(0, Math.Min(config.Limit, train.Count)).ToArray());
        IPartitioner partitioner = config.Skew is { } s ? new SkewPartitioner(config.Agents, s)
            : config.Alpha is { } a ? new DirichletPartitioner(config.Agents, a, balanced: true)
            : new IidPartitioner(config.Agents);
        return new GossipSetup(config, train, partitioner.Split(train.Labels, train.Classes, new RngStream(config.Seed, 1)));
    }

    /// <summary>The configuration.</summary>
    public GossipConfig Config { get; }

    /// <summary>The training images of all agents.</summary>
    public ImageDataset Train { get; }

    /// <summary>Which training images each agent holds.</summary>
    public Partition Partition { get; }

    /// <summary>The data set's input normalization.</summary>
    public Normalization Normalization { get; }

    /// <summary>The training augmentation (null without).</summary>
    public Augmentation? Augmentation { get; }

    /// <summary>Iterations per epoch: the fewest full batches of any agent.</summary>
    public int IterationsPerEpoch { get; }

    /// <summary>The learning rate per iteration (<see cref="GossipSchedule"/>: by default warm-up at lr / 10, then ×0.1 at every milestone).</summary>
    public ILrSchedule Schedule { get; }

    /// <summary>The communication graph.</summary>
    public ITopology Topology { get; }

    /// <summary>The parameter tensors of the model, as the agents flatten them (the sizes of the gossip messages' parts).</summary>
    public TensorLayout Layout => field ??= new TensorLayout([.. CreateModel().Parameters().Select(p => p.Data.Length)]);

    /// <summary>
    /// Agent <paramref name="i"/>: the seed's initial model, its own partition, SGD with the configured momentum (local or
    /// quasi-global) and weight decay, and update tracking when configured.
    /// </summary>
    public Agent CreateAgent(int i)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, Config.Agents);
        return new Agent(i, CreateModel(), Train.Subset(Partition.Indices[i]), Config.Batch, Config.Lr, Config.Seed, Normalization,
            Config.Momentum, Config.WeightDecay, Augmentation, Config.Nesterov, Config.QuasiGlobalMomentum, Config.UpdateTracking);
    }

    private Nets.Modules.Sequential CreateModel() => ModelCatalog.Create(Config.Model, Config.Seed, Train.Classes, ModelCatalog.ParseNorm(Config.Model, Config.Norm));

    /// <summary>
    /// The communication mode and gossip protocol of the method (<see cref="GossipMethods.Create"/>) for a model of
    /// <paramref name="layout"/>; with a compression warm-up, the protocol of each iteration's keep (<see cref="KeepWarmup"/>);
    /// --consensus-step lr follows <see cref="Schedule"/>; --gossip-every's phases start at the --milestones.
    /// </summary>
    public (Communication Mode, IGossip? Protocol) CreateMethod(TensorLayout layout)
    {
        Func<long, double> lrScale = t => Schedule.LrAt(checked((int)t)) / Config.Lr;
        long[] phaseStarts = [0, .. Config.Milestones.Select(m => (long)m * IterationsPerEpoch)];
        var (mode, protocol) = GossipMethods.Create(Config, Topology, layout, lrScale, phaseStarts);
        if (Config.KeepWarmupEpochs > 0)
            protocol = new KeepWarmup(k => GossipMethods.Create(Config with { Keep = k }, Topology, layout, lrScale, phaseStarts).Protocol!, Config.KeepStart, Config.Keep,
                checked(Config.KeepWarmupEpochs * IterationsPerEpoch));
        return (mode, protocol);
    }

    /// <summary>
    /// The protocol of SCSP's consensus rounds for a model of <paramref name="layout"/>: null with
    /// --consensus-compressor none (the runner's uncompressed push-sum); otherwise that of
    /// <see cref="GossipConfig.ForConsensusRounds"/> over the training graph.
    /// </summary>
    public IGossip? CreateConsensusProtocol(TensorLayout layout) =>
        Config.ConsensusCompressor == "none" ? null : GossipMethods.Create(Config.ForConsensusRounds(), Topology, layout).Protocol;
}
