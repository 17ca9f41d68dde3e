using NanoFed.Federation.Fl;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Partitioning;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;
using NanoFed.Nets.Modules;
using NanoFed.Nets.Training;

namespace NanoFed.Federation.Experiments;

/// <summary>
/// A federated run built from its <see cref="FlConfig"/>: the data, the clients' partition, the method's strategy and
/// client factory, and the <see cref="FlRunner"/> over a transport. The in-process simulation
/// (<see cref="Simulation"/>) and a deployed server build the same objects and differ only in the transport; a device
/// builds only its own client (<see cref="DeviceClient(FlConfig, string, int)"/>).
/// </summary>
public sealed class FlExperiment
{
    /// <summary>Stream id of the client partition: <c>RngStream(seed, PartitionStream)</c>.</summary>
    public const ulong PartitionStream = 0x5B117;

    private FlExperiment(FlConfig config, string dataRoot, ImageDataset train, List<(string Name, ImageDataset Data)> tests)
    {
        Config = config;
        DataRoot = dataRoot;
        Train = train;
        Tests = tests;
        Pool = config.Pool() ?? (0, train.Count);
        Partition = PartitionOf(config, train);
        var createModel = ModelFactory(config, train.Classes);
        (Strategy, ClientFactory, FrontDescription) = FlMethods.Create(config, createModel, [train.Channels, train.Height, train.Width], train.Classes);
    }

    /// <summary>Validates <paramref name="config"/>, reads its data under <paramref name="dataRoot"/> and builds the run's objects.</summary>
    public static FlExperiment Load(FlConfig config, string dataRoot)
    {
        ArgumentNullException.ThrowIfNull(config);
        config = config.Resolve();
        config.Validate();
        string dataset = config.ResolvedDataset;
        return new FlExperiment(config, dataRoot, ExperimentData.Train(dataset, dataRoot), ExperimentData.Tests(dataset, dataRoot, config.TestFiles));
    }

    /// <summary>The run's configuration, its data set resolved.</summary>
    public FlConfig Config { get; }

    /// <summary>The data root the data was read from.</summary>
    public string DataRoot { get; }

    /// <summary>The training images (all of them; the clients hold their partition's).</summary>
    public ImageDataset Train { get; }

    /// <summary>The server's test sets, the primary one first.</summary>
    public IReadOnlyList<(string Name, ImageDataset Data)> Tests { get; }

    /// <summary>The training images clients draw from.</summary>
    public (int Start, int End) Pool { get; }

    /// <summary>Which training images each client holds.</summary>
    public Partition Partition { get; }

    /// <summary>The method's server side.</summary>
    public IFlStrategy Strategy { get; }

    /// <summary>Builds the method's client of a device's data.</summary>
    public Func<FlClientData, IFlClient> ClientFactory { get; }

    /// <summary>The device front the method starts from ("none" but for EcoFed's pre-trained front).</summary>
    public string FrontDescription { get; }

    /// <summary>Input normalisation of the data set.</summary>
    public Normalization Normalization => DatasetCatalog.NormalizationOf(Config.ResolvedDataset);

    /// <summary>The simulated devices of every client (each built on first use).</summary>
    public ClientPopulation Population() => new(Train, Partition, Normalization, ClientFactory);

    /// <summary>The runner of this run's strategy and <paramref name="clients"/> over <paramref name="transport"/>, which records in <paramref name="ledger"/>.</summary>
    public FlRunner Runner(ClientPopulation clients, ITransport transport, TrafficLedger ledger) =>
        new(Strategy, clients, Tests, Config.PerRound, Config.Seed, transport, ledger, Config.System)
        {
            EvaluateEvery = Config.EvalEvery,
            Quorum = Config.Quorum,
            Dropout = Config.Dropout,
        };

    /// <summary>The in-process simulation: every client in this process, one in-process transport and ledger.</summary>
    public FlRunner Simulation()
    {
        var ledger = new TrafficLedger();
        var transport = new InProcessTransport(ledger);
        if (Strategy is IMessageHandler handler) transport.Register(Message.Server, handler);
        return Runner(Population(), transport, ledger);
    }

    /// <summary>
    /// What a device builds of the run: client <paramref name="client"/> of the method, holding only its own partition
    /// of the training set under <paramref name="dataRoot"/> (derived from the configuration and its seed, as the server
    /// derives it).
    /// </summary>
    public static IFlClient DeviceClient(FlConfig config, string dataRoot, int client)
    {
        ArgumentNullException.ThrowIfNull(config);
        config = config.Resolve();
        config.Validate();
        if (client < 0 || client >= config.Clients) throw new ArgumentException($"--client must be 0..{config.Clients - 1}, got {client}");
        var data = ExperimentData.Train(config.ResolvedDataset, dataRoot);
        var own = data.Subset(PartitionOf(config, data).Indices[client]);
        return DeviceClients(config, data)(new FlClientData(client, own, DatasetCatalog.NormalizationOf(config.ResolvedDataset)));
    }

    /// <summary>
    /// The client factory of the run <paramref name="config"/> (resolved and validated) describes over
    /// <paramref name="train"/>: what a host of many clients (a cluster silo) builds its clients with. The clients one
    /// factory makes share its working model, as the simulation's do, so they must take turns; a host that runs turns
    /// at once keeps one factory per turn in flight.
    /// </summary>
    public static Func<FlClientData, IFlClient> DeviceClients(FlConfig config, ImageDataset train)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(train);
        var createModel = ModelFactory(config, train.Classes);
        return FlMethods.Create(config, createModel, [train.Channels, train.Height, train.Width], train.Classes).Clients;
    }

    /// <summary>The clients' partition of <paramref name="train"/>: the run's partitioner over its client pool, from its seed.</summary>
    public static Partition PartitionOf(FlConfig config, ImageDataset train)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(train);
        var (start, end) = config.Pool() ?? (0, train.Count);
        if (end > train.Count) throw new ArgumentException($"--client-pool {start}:{end} reaches past the {train.Count} training images");
        long wanted = (long)config.Clients * config.SamplesPerClient;
        if (wanted > end - start)
            throw new ArgumentException($"--clients {config.Clients} x --samples-per-client {config.SamplesPerClient} = {wanted} images exceed the client pool {start}:{end}");
        return PoolSplit.Split(config.Partitioner(), train.Labels, train.Classes, start, end, (int)wanted, new RngStream(config.Seed, PartitionStream));
    }

    /// <summary>Builds the run's initial model (the same weights every call), checking the split index against it.</summary>
    public static Func<Sequential> ModelFactory(FlConfig config, int classes)
    {
        ArgumentNullException.ThrowIfNull(config);
        var norm = ModelCatalog.ParseNorm(config.Model, config.Norm);
        Func<Sequential> create = () => ModelCatalog.Create(config.Model, config.Seed, classes, norm);
        int layers = create().Count;
        if (config.SplitIndex >= layers) throw new ArgumentException($"--split-index must be 1..{layers - 1} for {config.Model}, got {config.SplitIndex}");
        return create;
    }
}
